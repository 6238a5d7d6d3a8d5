// multipart/form-data uploads (the seed's product form): text fields become the JSON body the route's
// schema validates, files wait beside it. Limits come from config: file size → 413, file count → 413.
import type {} from '@fastify/multipart';
import { type FastifyRequest, Invalid, PayloadTooLarge } from '@microbazaar/kit';
import type { Upload } from '../usecases/image-files.js';

const uploads = new WeakMap<FastifyRequest, Upload[]>();

/** The files of a multipart request (none for JSON). */
export function uploadsOf(req: FastifyRequest): Upload[] {
  return uploads.get(req) ?? [];
}

export interface MultipartOptions {
  /** fields whose parts are files */
  fileFields: readonly string[];
  /** text fields holding integers (multipart has no types) */
  integerFields?: readonly string[];
  /** text fields holding JSON */
  jsonFields?: readonly string[];
  maxFileBytes: number;
  maxFiles: number;
}

const INTEGER = /^-?\d{1,16}$/;

function convert(name: string, value: string, opts: MultipartOptions): unknown {
  if (opts.integerFields?.includes(name)) return INTEGER.test(value.trim()) ? Number(value.trim()) : value;
  if (opts.jsonFields?.includes(name)) {
    try {
      return JSON.parse(value);
    } catch {
      throw new Invalid(
        `Invalid body/${name}: must be JSON`,
        [{ path: `body/${name}`, message: 'must be JSON' }],
        'VALIDATION_FAILED',
      );
    }
  }
  return value;
}

/**
 * A preValidation hook: reads every part (files into memory, at most maxFiles of maxFileBytes each),
 * so the schema validates the fields like a JSON body and the handler finds the files in uploadsOf(req).
 */
export function readMultipart(opts: MultipartOptions) {
  return async (req: FastifyRequest) => {
    if (!req.isMultipart()) return;
    const fields: Record<string, unknown> = {};
    const files: Upload[] = [];
    try {
      for await (const part of req.parts({ limits: { fileSize: opts.maxFileBytes, files: opts.maxFiles } })) {
        if (part.type === 'file') {
          if (!opts.fileFields.includes(part.fieldname)) {
            part.file.resume();
            throw new Invalid(
              `Invalid body/${part.fieldname}: files go in ${opts.fileFields.map((f) => `"${f}"`).join(' or ')}`,
              [{ path: `body/${part.fieldname}`, message: 'unexpected file' }],
              'VALIDATION_FAILED',
            );
          }
          const body = await part.toBuffer();
          // a form's empty file input sends a part without content
          if (body.length > 0 || part.filename) files.push({ filename: part.filename, body });
        } else {
          if (Object.hasOwn(fields, part.fieldname)) {
            throw new Invalid(
              `Invalid body/${part.fieldname}: given twice`,
              [{ path: `body/${part.fieldname}`, message: 'given twice' }],
              'VALIDATION_FAILED',
            );
          }
          fields[part.fieldname] = convert(part.fieldname, String(part.value), opts);
        }
      }
    } catch (err) {
      throw translate(err, opts);
    }
    uploads.set(req, files);
    req.body = fields;
  };
}

function translate(err: unknown, opts: MultipartOptions): unknown {
  const code = (err as { code?: string }).code;
  const mb = Math.round((opts.maxFileBytes / 1024 / 1024) * 10) / 10;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new PayloadTooLarge(`Each image must be at most ${mb} MB`, 'IMAGE_TOO_LARGE');
    case 'FST_FILES_LIMIT':
      return new PayloadTooLarge(`At most ${opts.maxFiles} images per product`, 'TOO_MANY_IMAGES');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new PayloadTooLarge('The form has too many fields', 'PAYLOAD_TOO_LARGE');
    case 'FST_PROTO_VIOLATION':
      return new Invalid('Invalid form field name', undefined, 'VALIDATION_FAILED');
    default:
      if (
        err instanceof Error &&
        !('statusCode' in err) &&
        /multipart|boundary|end of form|unexpected/i.test(err.message)
      ) {
        return new Invalid('The multipart body is malformed', undefined, 'MALFORMED_MULTIPART');
      }
      return err;
  }
}
