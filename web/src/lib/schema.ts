/**
 * Choices offered by the forms (workflow types and actions, option values, endpoint kinds, storage
 * types…) come from the API's own OpenAPI document, so the console never offers a value the server
 * would refuse and learns new ones without a release. Fetched once per page load.
 */
import { useEffect, useState } from 'react';
import { get } from './api';

export interface Enums {
  workflow_type: string[];
  workflow_action: string[];
  endpoint_type: string[];
  execution_status: string[];
  /** Every option of task_options with its JSON type and, for strings, its allowed values. */
  options: Record<string, { type: string; values?: string[] }>;
  nas_type: string[];
  pool_type: string[];
  pool_content: string[];
  cloud_provider: string[];
}

type Schema = { type?: string; enum?: string[]; 'x-barge-legacy'?: string[]; properties?: Record<string, Schema> };

/** A property's values, without those the server accepts only for older scripts (`x-barge-legacy`). */
function enumOf(schemas: Record<string, Schema>, name: string, prop: string): string[] {
  const p = schemas[name]?.properties?.[prop];
  const legacy = new Set(p?.['x-barge-legacy'] ?? []);
  return (p?.enum ?? []).filter((v) => !legacy.has(v));
}

/** Reads the enums out of an OpenAPI document (exported for tests). */
export function enumsFromDocument(doc: { components?: { schemas?: Record<string, Schema> } }): Enums {
  const s = doc.components?.schemas ?? {};
  const options: Enums['options'] = {};
  for (const [k, v] of Object.entries(s.task_options?.properties ?? {})) options[k] = { type: v.type ?? 'string', ...(v.enum ? { values: v.enum } : {}) };
  return {
    workflow_type: enumOf(s, 'task', 'workflow_type'),
    workflow_action: enumOf(s, 'task', 'workflow_action'),
    endpoint_type: enumOf(s, 'task_endpoint', 'type'),
    execution_status: enumOf(s, 'task_execution', 'status'),
    options,
    nas_type: enumOf(s, 'nas', 'type'),
    pool_type: enumOf(s, 'pool', 'type'),
    pool_content: enumOf(s, 'pool', 'content'),
    cloud_provider: enumOf(s, 'cloud_connector', 'provider'),
  };
}

let cached: Promise<Enums> | undefined;

export function loadEnums(): Promise<Enums> {
  cached ??= get<Record<string, unknown>>('/openapi.json').then(enumsFromDocument, (err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/** The enums, or undefined while the document loads. */
export function useEnums(): Enums | undefined {
  const [enums, setEnums] = useState<Enums>();
  useEffect(() => {
    let live = true;
    loadEnums().then((e) => live && setEnums(e), () => undefined);
    return () => {
      live = false;
    };
  }, []);
  return enums;
}
