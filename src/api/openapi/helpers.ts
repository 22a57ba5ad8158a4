/**
 * Small builders for Barge's additions to the OpenAPI document: list parameters, CRUD operations
 * with their API-key scopes, path ids. They keep the ~60 added operations uniform — same list
 * conventions, same error responses — as the seed's tasks resource.
 */

type Json = Record<string, unknown>;

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const respRef = (name: string): Json => ({ $ref: `#/components/responses/${name}` });

/** Standard error responses every authenticated operation may send. */
export const ERRORS: Json = {
  '400': respRef('bad_request'),
  '401': respRef('unauthorized'),
  '403': respRef('forbidden'),
  '404': respRef('not_found'),
  '422': respRef('unprocessable_entity'),
};

export const LIST_PARAMS: Json[] = ['limit', 'offset', 'sort_by', 'all'].map((p) => ({ $ref: `#/components/parameters/${p}` }));

/** Query parameters for filters (the values carry operators, so they are strings). */
export function filterParams(names: string[]): Json[] {
  return names.map((name) => ({ name, in: 'query', description: `Filter on ${name} (operators: = != > >= < <= >< !>< ~ !~)`, schema: { type: 'string' } }));
}

export function pathParam(name: string): Json {
  return { name, in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 } };
}

export function jsonBody(schema: Json, required = true): Json {
  return { required, content: { 'application/json': { schema } } };
}

export function jsonResponse(description: string, schema: Json): Json {
  return { description, content: { 'application/json': { schema } } };
}

export interface OpSpec {
  operationId: string;
  summary: string;
  tags: string[];
  scope: [string, string];
  parameters?: Json[];
  requestBody?: Json;
  responses: Json;
  security?: Json[];
  description?: string;
}

/** One operation; the scope is written both in the description (as the seed does) and as `x-barge-scope`. */
export function op(o: OpSpec): Json {
  const [controller, action] = o.scope;
  return {
    summary: o.summary,
    operationId: o.operationId,
    description: `**API Key Scope**: ${controller} / ${action}${o.description ? `\n\n${o.description}` : ''}`,
    tags: o.tags,
    ...(o.parameters ? { parameters: o.parameters } : {}),
    ...(o.requestBody ? { requestBody: o.requestBody } : {}),
    ...(o.security ? { security: o.security } : {}),
    responses: o.responses,
    'x-barge-scope': { controller, action },
  };
}

export interface CrudSpec {
  /** Collection path, e.g. `/nas`. */
  collection: string;
  /** Item path, e.g. `/nas/{nas_id}`. */
  item: string;
  itemParam: string;
  controller: string;
  tag: string;
  /** Schema name of one resource, and the collection key in list responses. */
  schema: string;
  plural: string;
  label: string;
  filters: string[];
  /** Which operations exist (default: all five). */
  ops?: Array<'index' | 'create' | 'show' | 'update' | 'destroy'>;
  /** Extra path parameters on the collection (e.g. a parent id). */
  collectionParams?: Json[];
  idSuffix?: string;
}

/** index/create on the collection, show/update/destroy on the item. */
export function crud(s: CrudSpec): Record<string, Json> {
  const ops = s.ops ?? ['index', 'create', 'show', 'update', 'destroy'];
  const suffix = s.idSuffix ?? s.plural;
  const collection: Json = {};
  const item: Json = {};
  const itemParams = [...(s.collectionParams ?? []), pathParam(s.itemParam)];
  if (ops.includes('index')) collection.get = op({
    operationId: `index_${suffix}`, summary: `Lists ${s.label}s.`, tags: [s.tag], scope: [s.controller, 'index'],
    parameters: [...(s.collectionParams ?? []), ...LIST_PARAMS, ...filterParams(s.filters)],
    responses: { '200': jsonResponse(`List of ${s.label}s.`, { type: 'object', properties: { count: { type: 'integer' }, [s.plural]: { type: 'array', items: ref(s.schema) } } }), ...ERRORS },
  });
  if (ops.includes('create')) collection.post = op({
    operationId: `create_${suffix}`, summary: `Creates a ${s.label}.`, tags: [s.tag], scope: [s.controller, 'create'],
    parameters: s.collectionParams, requestBody: jsonBody(ref(s.schema)),
    responses: { '201': jsonResponse(`The new ${s.label}.`, ref(s.schema)), ...ERRORS },
  });
  if (ops.includes('show')) item.get = op({
    operationId: `show_${suffix}`, summary: `Displays a ${s.label}.`, tags: [s.tag], scope: [s.controller, 'show'],
    parameters: itemParams, responses: { '200': jsonResponse(`A ${s.label}.`, ref(s.schema)), ...ERRORS },
  });
  if (ops.includes('update')) item.put = op({
    operationId: `update_${suffix}`, summary: `Updates a ${s.label} (partial).`, tags: [s.tag], scope: [s.controller, 'update'],
    parameters: itemParams, requestBody: jsonBody(ref(s.schema)),
    responses: { '200': jsonResponse(`The updated ${s.label}.`, ref(s.schema)), ...ERRORS },
  });
  if (ops.includes('destroy')) item.delete = op({
    operationId: `destroy_${suffix}`, summary: `Destroys a ${s.label}.`, tags: [s.tag], scope: [s.controller, 'destroy'],
    parameters: itemParams, responses: { '204': { description: 'Destroyed.' }, ...ERRORS },
  });
  const out: Record<string, Json> = {};
  if (Object.keys(collection).length) out[s.collection] = collection;
  if (Object.keys(item).length) out[s.item] = item;
  return out;
}
