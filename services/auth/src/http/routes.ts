// Auth routes: the seed's register/login plus refresh, logout, me, password reset and the JWKS.

import type { App } from '@microbazaar/kit';
import { errorResponses, type Guards, principalOf, TOKEN_REVOCATIONS_PATH } from '@microbazaar/kit';
import type { KeyRing } from '../adapters/keys.js';
import type { Accounts } from '../usecases/accounts.js';
import {
  ForgotBody,
  Jwks,
  LoginBody,
  Message,
  RefreshBody,
  RegisterBody,
  ResetBody,
  RevocationFeed,
  RevocationsQuery,
  Session,
  User,
} from './schemas.js';

export function authRoutes(app: App, deps: { accounts: Accounts; keys: KeyRing; guards: Guards; accessTtl: number }) {
  const { accounts, keys, guards, accessTtl } = deps;
  const tags = ['auth'];
  const withTtl = <T extends object>(s: T) => ({ ...s, expiresIn: accessTtl });

  app.post(
    '/api/auth/register',
    {
      schema: {
        tags,
        summary: 'Create a customer account',
        body: RegisterBody,
        response: { 201: Session, ...errorResponses(400, 413, 415, 429, 503) },
      },
    },
    async (req, reply) => {
      const session = await accounts.register(req.body, { ip: req.ip, requestId: req.id });
      return reply.status(201).send(withTtl(session));
    },
  );

  app.post(
    '/api/auth/login',
    {
      schema: {
        tags,
        summary: 'Exchange email and password for tokens',
        body: LoginBody,
        response: { 200: Session, ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (req) => withTtl(await accounts.login(req.body, { ip: req.ip, requestId: req.id })),
  );

  app.post(
    '/api/auth/refresh',
    {
      schema: {
        tags,
        summary: 'Rotate a refresh token for a new token pair',
        body: RefreshBody,
        response: { 200: Session, ...errorResponses(400, 401, 503) },
      },
    },
    async (req) => withTtl(await accounts.refresh(req.body.refreshToken)),
  );

  app.post(
    '/api/auth/logout',
    {
      schema: {
        tags,
        summary: 'End the session a refresh token belongs to',
        body: RefreshBody,
        response: { 204: { type: 'null' }, ...errorResponses(400, 503) },
      },
    },
    async (req, reply) => {
      await accounts.logout(req.body.refreshToken);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/auth/me',
    {
      preHandler: guards.authenticated,
      schema: {
        tags,
        summary: 'The signed-in user',
        security: [{ bearerAuth: [] }],
        response: { 200: User, ...errorResponses(401, 503) },
      },
    },
    async (req) => accounts.me(principalOf(req).userId),
  );

  app.post(
    '/api/auth/password/forgot',
    {
      schema: {
        tags,
        summary: 'Send a password reset link (answers the same whether or not the account exists)',
        body: ForgotBody,
        response: { 202: Message, ...errorResponses(400, 503) },
      },
    },
    async (req, reply) => {
      await accounts.forgotPassword(req.body.email, { ip: req.ip, requestId: req.id });
      return reply.status(202).send({ message: 'If an account exists for that email, a reset link is on its way' });
    },
  );

  app.post(
    '/api/auth/password/reset',
    {
      schema: {
        tags,
        summary: 'Set a new password with a reset token; ends every session',
        body: ResetBody,
        response: { 204: { type: 'null' }, ...errorResponses(400, 503) },
      },
    },
    async (req, reply) => {
      await accounts.resetPassword(req.body.token, req.body.password);
      return reply.status(204).send();
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { tags, summary: 'Public keys that verify access tokens', response: { 200: Jwks } } },
    async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return keys.publicJwks();
    },
  );

  // Polled by every service's token verifier (kit RevocationList); the gateway does not route /internal.
  app.get(
    TOKEN_REVOCATIONS_PATH,
    {
      schema: {
        hide: true,
        querystring: RevocationsQuery,
        response: { 200: RevocationFeed, ...errorResponses(400, 503) },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return accounts.revocations(req.query.cursor);
    },
  );
}
