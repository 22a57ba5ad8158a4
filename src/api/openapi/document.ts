/**
 * The OpenAPI document Barge serves and validates requests against: the seed's tasks operations
 * verbatim, plus Barge's additions. Seed content is never overwritten: additions only add keys.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../lib/package-root.js';
import { ADDED_PATHS } from './paths.js';
import { ADDED_SCHEMAS, SEED_EXTENSIONS } from './schemas.js';

type Json = Record<string, any>;

const SEED_FILE = join(packageRoot(), 'openapi', 'nodeum-tasks-seed.json');

const RESPONSES: Json = {
  bad_request: { description: 'Malformed request (invalid JSON…).', content: { 'application/json': { schema: { $ref: '#/components/schemas/model_error' } } } },
  unauthorized: { description: 'Missing or invalid credentials.', content: { 'application/json': { schema: { $ref: '#/components/schemas/model_error' } } } },
  forbidden: { description: 'Not allowed (API key scope, admin only).', content: { 'application/json': { schema: { $ref: '#/components/schemas/model_error' } } } },
};

const PARAMETERS: Json = {};

/** Adds keys of `add` missing in `base`, recursively; never replaces a value the base has. */
export function addMissing(base: Json, add: Json): Json {
  for (const [k, v] of Object.entries(add)) {
    if (!(k in base)) base[k] = v;
    else if (typeof base[k] === 'object' && base[k] !== null && typeof v === 'object' && v !== null && !Array.isArray(v)) addMissing(base[k], v);
  }
  return base;
}

/** Operation ids of the seed, in the seed's order (the contract clients are written against). */
export function seedDocument(): Json {
  return JSON.parse(readFileSync(SEED_FILE, 'utf8')) as Json;
}

/** Builds the full document (a fresh object each call). */
export function buildOpenApiDocument(): Json {
  const doc = seedDocument();
  doc.info = { ...doc.info, title: 'Barge — Nodeum Data Mover API', 'x-barge-version': '0.1.0' };
  addMissing(doc.components, { schemas: ADDED_SCHEMAS, responses: RESPONSES, parameters: PARAMETERS });
  for (const [name, props] of Object.entries(SEED_EXTENSIONS)) addMissing(doc.components.schemas[name].properties, props);
  // Every operation carries its API-key scope as data, parsed from the seed's descriptions.
  for (const ops of Object.values(doc.paths as Json)) {
    for (const o of Object.values(ops as Json) as Json[]) {
      const m = /\*\*API Key Scope\*\*: (\w+) \/ (\w+)/.exec(String(o.description ?? ''));
      if (m && !o['x-barge-scope']) o['x-barge-scope'] = { controller: m[1], action: m[2] };
    }
  }
  addMissing(doc.paths, ADDED_PATHS);
  return doc;
}
