import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { buildOpenApiDocument, seedDocument, addMissing } from './document.js';

const SEED_OPERATIONS = [
  'index_tasks', 'create_task', 'show_task', 'update_task', 'destroy_task', 'run_task',
  'defer_run_task', 'run_defer_task', 'pause_task', 'stop_task', 'force_stop_task', 'resume_task',
];

function operations(doc: any): Map<string, { path: string; method: string; op: any }> {
  const out = new Map();
  for (const [path, ops] of Object.entries<any>(doc.paths)) for (const [method, op] of Object.entries<any>(ops)) out.set(op.operationId, { path, method, op });
  return out;
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.0 document', async () => {
    const v = new Validator();
    const r = await v.validate(buildOpenApiDocument());
    assert.equal(r.valid, true, JSON.stringify(r.errors, null, 1)?.slice(0, 2000));
  });

  it('serves the seed’s 12 operations verbatim, with their paths, methods and responses', () => {
    const seed = operations(seedDocument());
    const full = operations(buildOpenApiDocument());
    assert.deepEqual([...seed.keys()].sort(), [...SEED_OPERATIONS].sort());
    for (const id of SEED_OPERATIONS) {
      const s = seed.get(id)!;
      const f = full.get(id)!;
      assert.equal(f.path, s.path, id);
      assert.equal(f.method, s.method, id);
      const { 'x-barge-scope': _scope, ...rest } = f.op;
      assert.deepEqual(rest, s.op, `${id} must be the seed's operation, unchanged`);
    }
  });

  it('keeps every seed schema property as the seed defines it (additions only)', () => {
    const seed = seedDocument().components.schemas;
    const full = buildOpenApiDocument().components.schemas;
    for (const [name, schema] of Object.entries<any>(seed)) {
      for (const [prop, def] of Object.entries(schema.properties ?? {})) assert.deepEqual(full[name].properties[prop], def, `${name}.${prop}`);
    }
  });

  it('gives every operation a unique operationId and an API-key scope', () => {
    const seen = new Set<string>();
    for (const { op } of operations(buildOpenApiDocument()).values()) {
      assert.ok(!seen.has(op.operationId), op.operationId);
      seen.add(op.operationId);
      assert.ok(op['x-barge-scope']?.controller && op['x-barge-scope']?.action, `${op.operationId} has no scope`);
    }
  });

  it('run_defer is the only seed operation without authentication', () => {
    const doc = buildOpenApiDocument();
    for (const id of SEED_OPERATIONS) {
      const { op } = operations(doc).get(id)!;
      const security = op.security ?? doc.security;
      assert.equal(security.length === 0, id === 'run_defer_task', id);
    }
  });

  it('the committed openapi/barge.json is up to date (run npm run gen:openapi)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../../openapi/barge.json', import.meta.url), 'utf8'));
    assert.deepEqual(committed, buildOpenApiDocument());
  });

  it('addMissing never replaces an existing value', () => {
    const base = { a: 1, b: { c: 2 } };
    addMissing(base, { a: 9, b: { c: 9, d: 3 }, e: 4 });
    assert.deepEqual(base, { a: 1, b: { c: 2, d: 3 }, e: 4 });
  });
});
