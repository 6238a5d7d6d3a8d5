// The error family every service throws; app.ts maps them to status + error body in one place.

export interface ErrorDetail {
  path?: string;
  message: string;
  [key: string]: unknown;
}

export class AppError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    options: { details?: ErrorDetail[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.statusCode = statusCode;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }
}

export class Invalid extends AppError {
  constructor(message = 'Invalid input', details?: ErrorDetail[], code = 'INVALID_INPUT') {
    super(400, code, message, details ? { details } : {});
  }
}

export class Unauthorized extends AppError {
  constructor(message = 'Authentication required', code = 'UNAUTHORIZED') {
    super(401, code, message, { headers: { 'www-authenticate': 'Bearer' } });
  }
}

export class Forbidden extends AppError {
  constructor(message = 'You are not allowed to do this', code = 'FORBIDDEN') {
    super(403, code, message);
  }
}

export class NotFound extends AppError {
  constructor(message = 'Not found', code = 'NOT_FOUND') {
    super(404, code, message);
  }
}

export class Conflict extends AppError {
  constructor(message = 'Conflict', code = 'CONFLICT', details?: ErrorDetail[]) {
    super(409, code, message, details ? { details } : {});
  }
}

export class PayloadTooLarge extends AppError {
  constructor(message = 'Request body is too large', code = 'PAYLOAD_TOO_LARGE') {
    super(413, code, message);
  }
}

export class UnsupportedMediaType extends AppError {
  constructor(message = 'Unsupported media type', code = 'UNSUPPORTED_MEDIA_TYPE') {
    super(415, code, message);
  }
}

export class TooMany extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = 'Too many requests, slow down', code = 'RATE_LIMITED') {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(429, code, message, { headers: { 'retry-after': String(seconds) } });
    this.retryAfterSeconds = seconds;
  }
}

export class Unavailable extends AppError {
  constructor(
    message = 'A dependency is unavailable, try again shortly',
    code = 'SERVICE_UNAVAILABLE',
    cause?: unknown,
  ) {
    super(503, code, message, { headers: { 'retry-after': '5' }, cause });
  }
}

export class GatewayTimeout extends AppError {
  constructor(message = 'The upstream service did not answer in time', code = 'UPSTREAM_TIMEOUT') {
    super(504, code, message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[]; requestId: string };
}

export function errorBody(err: AppError, requestId: string): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details ? { details: err.details } : {}),
      requestId,
    },
  };
}
