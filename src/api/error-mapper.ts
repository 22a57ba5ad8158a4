/**
 * The one place where errors become HTTP responses. Deliberate refusals (AppError) keep their
 * status and shape; fastify's own request errors (validation, bad JSON, too large, wrong content
 * type) become `model_error`s; anything else is a logged 500 `model_error` carrying the request id.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, DataManagementError, ModelError, ValidationErrors, humanAttribute, type AttributeError } from '../domain/errors.js';
import { STATUS_CODES } from 'node:http';

interface AjvError {
  instancePath?: string;
  keyword: string;
  params?: Record<string, any>;
  message?: string;
}

/** `/sources/0/type` → `sources[0].type`. */
function attributePath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || 'base';
}

function valueAt(data: unknown, instancePath: string): unknown {
  let cur: any = data;
  for (const p of instancePath.split('/').filter(Boolean)) cur = cur?.[p];
  return cur;
}

/** Ajv error → Rails-style `{attr, {error: code, ...}, message}`. */
export function fromAjv(e: AjvError, data: unknown): { attr: string; detail: AttributeError; message: string } {
  const p = e.params ?? {};
  const attr = attributePath(e.instancePath ?? '', e.keyword === 'required' ? p.missingProperty : undefined);
  const H = humanAttribute(attr);
  const value = valueAt(data, e.instancePath ?? '');
  // null, "" and "   " are blank whatever the schema wanted (Rails' `blank?`), not "not included".
  if ((e.keyword === 'type' || e.keyword === 'enum') && (value === null || (typeof value === 'string' && value.trim() === ''))) {
    return { attr, detail: { error: 'blank' }, message: `${H} can't be blank` };
  }
  switch (e.keyword) {
    case 'required':
      return { attr, detail: { error: 'blank' }, message: `${H} can't be blank` };
    case 'enum':
      return { attr, detail: { error: 'inclusion', value }, message: `${H} is not included in the list (${(p.allowedValues ?? []).join(', ')})` };
    case 'type': {
      const t = String(p.type);
      if (t === 'integer' || t === 'number') {
        const numeric = typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)));
        return numeric && t === 'integer'
          ? { attr, detail: { error: 'not_an_integer', value }, message: `${H} must be an integer` }
          : { attr, detail: { error: 'not_a_number', value }, message: `${H} is not a number` };
      }
      return { attr, detail: { error: 'invalid', expected: t }, message: `${H} must be ${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}` };
    }
    case 'minLength':
      return p.limit === 1
        ? { attr, detail: { error: 'blank' }, message: `${H} can't be blank` }
        : { attr, detail: { error: 'too_short', count: p.limit }, message: `${H} is too short (minimum is ${p.limit} characters)` };
    case 'maxLength':
      return { attr, detail: { error: 'too_long', count: p.limit }, message: `${H} is too long (maximum is ${p.limit} characters)` };
    case 'minItems':
      return { attr, detail: { error: 'too_short', count: p.limit }, message: `${H} is too short (minimum is ${p.limit} items)` };
    case 'maxItems':
      return { attr, detail: { error: 'too_long', count: p.limit }, message: `${H} is too long (maximum is ${p.limit} items)` };
    case 'minimum':
      return { attr, detail: { error: 'greater_than_or_equal_to', count: p.limit }, message: `${H} must be greater than or equal to ${p.limit}` };
    case 'maximum':
      return { attr, detail: { error: 'less_than_or_equal_to', count: p.limit }, message: `${H} must be less than or equal to ${p.limit}` };
    case 'exclusiveMinimum':
      return { attr, detail: { error: 'greater_than', count: p.limit }, message: `${H} must be greater than ${p.limit}` };
    case 'exclusiveMaximum':
      return { attr, detail: { error: 'less_than', count: p.limit }, message: `${H} must be less than ${p.limit}` };
    default:
      return { attr, detail: { error: 'invalid' }, message: `${H} is invalid${e.message ? ` (${e.message})` : ''}` };
  }
}

/**
 * A fastify validation error as Rails-style errors, one entry per attribute and code (Ajv may report
 * `type` and `enum` for the same null value). Handlers with `attachValidation` merge these with the
 * service's own checks, so every problem of a request is reported at once.
 */
export function schemaErrors(fe: { validation?: AjvError[]; validationContext?: string }, req: FastifyRequest): ValidationErrors {
  const out = new ValidationErrors();
  const data = fe.validationContext === 'body' ? req.body : fe.validationContext === 'querystring' ? req.query : req.params;
  for (const v of fe.validation ?? []) {
    const { attr, detail, message } = fromAjv(v, data);
    if (out.details[attr]?.some((d) => d.error === detail.error)) continue;
    out.add(attr, detail, message);
  }
  return out;
}

export interface ErrorBody {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function modelError(status: number, messages: string[], details: Record<string, AttributeError[]>): ErrorBody {
  return { status, body: { messages, details } };
}

/** Maps any thrown value to a status and a body in the API's shapes. */
export function toHttpError(err: unknown, req: FastifyRequest): ErrorBody {
  if (err instanceof ModelError) return { status: err.status, body: { messages: err.messages, details: err.details }, headers: err.headers };
  if (err instanceof DataManagementError) {
    return { status: err.status, body: { id: err.component, code: err.status, detail: err.detail, status: STATUS_CODES[err.status] ?? 'Error' } };
  }
  if (err instanceof AppError) return modelError(err.status, [err.message], {});
  const fe = err as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe && Array.isArray(fe.validation)) {
    const v = schemaErrors(fe, req);
    return modelError(422, v.messages, v.details);
  }
  switch (fe?.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return modelError(400, ['The request body is not valid JSON'], { base: [{ error: 'invalid' }] });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return modelError(413, ['The request body is too large (limit 1 MiB)'], { base: [{ error: 'too_long', count: 1048576 }] });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return modelError(415, ['The request body must be application/json'], { base: [{ error: 'invalid' }] });
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return modelError(status, [fe.message || STATUS_CODES[status] || 'Bad request'], { base: [{ error: 'invalid' }] });
  }
  req.log.error({ err }, 'unexpected error');
  return modelError(500, [`Internal error (request ${req.id}); it has been logged`], { base: [{ error: 'internal', request_id: req.id }] });
}

/** Fastify error handler using toHttpError. */
export function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const { status, body, headers } = toHttpError(err, req);
  if (headers) reply.headers(headers);
  void reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

export { ModelError };
