// Request and response schemas of the auth API (validation, OpenAPI and types from one source).
import { ROLES } from '@microbazaar/kit';
import { Type } from '@sinclair/typebox';
import { EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN } from '../domain/users.js';

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

export const EmailInput = Type.String({
  minLength: 1,
  maxLength: EMAIL_MAX + 64,
  description: 'trimmed and lower-cased',
});
export const NewPassword = Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX });

export const User = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const Session = Type.Object({
  user: User,
  token: Type.String({ description: 'access token (JWT, EdDSA), send as Authorization: Bearer' }),
  refreshToken: Type.String({ description: 'single-use; exchange at /api/auth/refresh' }),
  expiresIn: Type.Integer({ description: 'access token lifetime in seconds' }),
});

export const RegisterBody = Type.Object({
  email: EmailInput,
  password: NewPassword,
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});

export const LoginBody = Type.Object({
  email: EmailInput,
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
});

export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) });

export const ForgotBody = Type.Object({ email: EmailInput });

export const ResetBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }), password: NewPassword });

export const Message = Type.Object({ message: Type.String() });

export const UserListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
  role: Type.Optional(RoleSchema),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});

export const UserChange = Type.Object(
  { role: Type.Optional(RoleSchema), disabled: Type.Optional(Type.Boolean()) },
  { minProperties: 1 },
);

export const Jwks = Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) });

export const RevocationsQuery = Type.Object({ cursor: Type.Optional(Type.String({ format: 'date-time' })) });
export const RevocationFeed = Type.Object({
  cursor: Type.String(),
  revocations: Type.Array(Type.Object({ userId: Type.String(), version: Type.Integer() })),
});
