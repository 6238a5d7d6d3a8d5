// The OpenAPI document a service serves: every schema with a `title` (the error body, Money, a service's
// own resources) is defined once under components/schemas and referenced, instead of copied into every
// route; the error response is one component too, referenced by every error status.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The error response's component name (its schema is kit's ErrorResponse, titled `Error`). */
export const ERROR_SCHEMA = 'Error';

/**
 * Moves titled schemas into `components.schemas` (a second, different schema with a taken title gets
 * `<title>_2`, …) and replaces them with `$ref`s; responses that are exactly the error body become
 * `$ref: #/components/responses/Error`. Returns a new document; the input is not changed.
 */
export function namedComponents(document: Json): Json {
  const components = isObject(document.components) ? { ...document.components } : {};
  const schemas: Json = isObject(components.schemas) ? { ...components.schemas } : {};
  const responses: Json = isObject(components.responses) ? { ...components.responses } : {};
  const names = new Map<string, string>(); // canonical JSON of a titled schema -> its component name

  const hoist = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(hoist);
    if (!isObject(node)) return node;
    const out: Json = {};
    for (const [key, value] of Object.entries(node)) out[key] = hoist(value);
    if (typeof out.title !== 'string' || !('type' in out || 'anyOf' in out || 'oneOf' in out || 'allOf' in out)) {
      return out;
    }
    const canonical = JSON.stringify(out);
    let name = names.get(canonical);
    if (!name) {
      name = out.title;
      for (let n = 2; name in schemas && JSON.stringify(schemas[name]) !== canonical; n++) name = `${out.title}_${n}`;
      schemas[name] = out;
      names.set(canonical, name);
    }
    return { $ref: `#/components/schemas/${name}` };
  };

  const paths = hoist(document.paths) as Json | undefined;
  const errorRef = `#/components/schemas/${ERROR_SCHEMA}`;
  for (const item of Object.values(paths ?? {})) {
    if (!isObject(item)) continue;
    for (const operation of Object.values(item)) {
      if (!isObject(operation) || !isObject(operation.responses)) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (isErrorResponse(response, errorRef)) {
          responses[ERROR_SCHEMA] ??= response;
          operation.responses[status] = { $ref: `#/components/responses/${ERROR_SCHEMA}` };
        }
      }
    }
  }

  return {
    ...document,
    paths,
    components: {
      ...components,
      schemas,
      ...(Object.keys(responses).length ? { responses } : {}),
    },
  };
}

/** `{description, content: {<json>: {schema: {$ref: Error}}}}` and nothing else. */
function isErrorResponse(response: unknown, errorRef: string): response is Json {
  if (!isObject(response) || !isObject(response.content)) return false;
  const media = Object.values(response.content);
  return (
    Object.keys(response).every((k) => k === 'description' || k === 'content') &&
    media.length > 0 &&
    media.every((m) => isObject(m) && isObject(m.schema) && m.schema.$ref === errorRef && Object.keys(m).length === 1)
  );
}
