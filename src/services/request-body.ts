/**
 * Request bodies as Nodeum's (Rails) clients send them: an object wrapped in its model's name
 * (`{user: {…}}`, `{nas_share: {…}}`, `{container_privilege: {…}}`) or bare. One reading for every
 * resource, so each accepts both the same way.
 */

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The attributes of a body wrapped in `root`, or of the bare body; `{}` for anything not an object. */
export function unwrapBody(body: unknown, root: string): Record<string, unknown> {
  if (!isObject(body)) return {};
  const inner = body[root];
  return isObject(inner) ? inner : body;
}
