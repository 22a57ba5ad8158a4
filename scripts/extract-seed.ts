/**
 * Extracts the Nodeum Tasks API fragments from the seed markdown into one OpenAPI document,
 * `openapi/nodeum-tasks-seed.json`. Run once when the seed changes:
 *   node --import tsx scripts/extract-seed.ts ../shared/seed/nodeum-tasks-api.md
 * The fragments are merged verbatim (paths and components); a component defined twice must be identical.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';

const src = process.argv[2] ?? '../shared/seed/nodeum-tasks-api.md';
const text = readFileSync(src, 'utf8');
const blocks = [...text.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1] as string));
type Doc = Record<string, any>;
const out: Doc = { openapi: '3.0.1', info: blocks[0].info, servers: blocks[0].servers, security: blocks[0].security, components: {}, paths: {} };
for (const b of blocks as Doc[]) {
  for (const [p, ops] of Object.entries(b.paths as Doc)) {
    out.paths[p] ??= {};
    for (const [m, op] of Object.entries(ops as Doc)) {
      // An operation whose document-level security differs from the default keeps it explicitly.
      const o = { ...(op as Doc) };
      if (!isDeepStrictEqual(b.security, out.security) && o.security === undefined) o.security = b.security;
      out.paths[p][m] = o;
    }
  }
  for (const [kind, group] of Object.entries((b.components ?? {}) as Doc)) {
    out.components[kind] ??= {};
    for (const [name, def] of Object.entries(group as Doc)) {
      const prev = out.components[kind][name];
      if (prev !== undefined && !isDeepStrictEqual(prev, def)) throw new Error(`component ${kind}.${name} differs between fragments`);
      out.components[kind][name] = def;
    }
  }
}
writeFileSync('openapi/nodeum-tasks-seed.json', JSON.stringify(out, null, 2) + '\n');
console.log(`wrote openapi/nodeum-tasks-seed.json: ${Object.keys(out.paths).length} paths`);
