// Shared HTTP schema pieces: the error body, list pages, opaque cursors, ids.
import { type TSchema, Type } from '@sinclair/typebox';
import { Invalid } from './errors.js';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
      requestId: Type.String(),
    }),
  },
  // the title makes it one named component of the OpenAPI document (openapi.ts)
  { title: 'Error', description: 'Error' },
);

/** Response schemas for the error statuses a route can answer. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponse]));
}

/** A UUID (any version), as a pattern for TypeBox schemas of strings. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const UUID = new RegExp(UUID_PATTERN);

/** Whether a string is shaped like a UUID (ids in cursors, cookies and references). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid });

export const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

/** Opaque keyset cursor: base64url of a JSON array of the sort key values. */
export function encodeCursor(values: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor; anything unreadable is a 400. */
export function decodeCursor(cursor: string, shape: ReadonlyArray<'string' | 'number'>): Array<string | number> {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  if (!Array.isArray(values) || values.length !== shape.length || values.some((v, i) => typeof v !== shape[i])) {
    throw invalidCursor();
  }
  return values as Array<string | number>;
}

/** The id a one-id cursor (`encodeCursor([id])`) names, or undefined without a cursor; anything else is a 400. */
export function idFromCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = String(decodeCursor(cursor, ['string'])[0]);
  if (!isUuid(id)) throw invalidCursor();
  return id;
}

/**
 * A keyset page from rows read with `LIMIT limit + 1`: the first `limit` rows, and the cursor after the
 * last of them (`cursorOf` gives its sort key values) when the extra row says there is more.
 */
export function keysetPage<T>(
  rows: readonly T[],
  limit: number,
  cursorOf: (last: T) => ReadonlyArray<string | number>,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

export function invalidCursor(): Invalid {
  return new Invalid(
    'Invalid query/cursor: not a cursor from this list',
    [{ path: 'querystring/cursor', message: 'unreadable cursor' }],
    'VALIDATION_FAILED',
  );
}
