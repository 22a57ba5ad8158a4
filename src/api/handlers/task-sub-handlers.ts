/**
 * Routes of issue #11's dry run (`dry_run_task`) and of the task sub-resources `task_options` and
 * `task_metadata` (views over the task's `options` and `metadata.task`, services/task-option-service.ts
 * and task-metadata-service.ts).
 *
 * An option's value is checked against the document's own `task_options` schema, with the compiler
 * every route uses (validators.ts), exactly as `PUT /tasks/{id}` checks `options` — the one schema,
 * not a copy — and the errors go to the service with its own checks (the task's update). Before that,
 * a string a Nodeum SDK sends for a number or boolean option (its `value` is a string) is read as one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ValidationErrors } from '../../domain/errors.js';
import type { ExecutionService } from '../../services/execution-service.js';
import type { TaskMetadataService } from '../../services/task-metadata-service.js';
import type { TaskOptionService } from '../../services/task-option-service.js';
import { principalOf } from '../auth-hook.js';
import { fromAjv } from '../error-mapper.js';
import type { Handler } from '../server.js';
import { validatorCompiler } from '../validators.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;
type Json = Record<string, any>;
type Check = ((data: unknown) => boolean) & { errors?: Array<{ instancePath?: string; keyword: string; params?: Record<string, unknown>; message?: string }> | null };

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Reads `"4"` as 4 and `"true"` as true where the option's schema wants a number or a boolean. */
export function coerceOptionValue(property: Json | undefined, value: unknown): unknown {
  if (typeof value !== 'string' || !property) return value;
  const t = property.type;
  if ((t === 'number' || t === 'integer') && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (t === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** The option's key and value in a body, the value coerced for its schema. */
function optionBody(optionsSchema: Json, body: unknown, key: string | undefined): Json {
  const input = isObject(body) ? { ...body } : {};
  const k = key ?? (typeof input.type === 'string' ? input.type : typeof input.id === 'string' ? input.id : undefined);
  if (k !== undefined && input.value !== undefined) input.value = coerceOptionValue(optionsSchema.properties?.[k], input.value);
  return input;
}

export function taskSubHandlers(document: Json, executions: ExecutionService, options: TaskOptionService, metadata: TaskMetadataService): Record<string, Handler> {
  const optionsSchema = (document.components?.schemas?.task_options ?? {}) as Json;
  const compile = validatorCompiler() as unknown as (route: { schema: unknown; httpPart: string }) => Check;
  const check = compile({ schema: { type: 'object', properties: { options: optionsSchema } }, httpPart: 'body' });
  /** The schema's verdict on one option, on `options.<key>` as a task update reports it. */
  const schemaErrors = (body: Json, key: string | undefined): ValidationErrors => {
    const out = new ValidationErrors();
    const k = key ?? (typeof body.type === 'string' ? body.type : typeof body.id === 'string' ? body.id : undefined);
    if (k === undefined || body.value === undefined || body.value === null) return out;
    const data = { options: { [k]: body.value } };
    if (check(data)) return out;
    for (const e of check.errors ?? []) {
      const { attr, detail, message } = fromAjv(e as Parameters<typeof fromAjv>[0], data);
      if (!out.details[attr]?.some((d) => d.error === detail.error)) out.add(attr, detail, message);
    }
    return out;
  };
  const taskId = (req: Req) => req.params.task_id as string;
  return {
    dry_run_task: async (req: Req) => executions.dryRun(principalOf(req), taskId(req), req.body),

    index_task_options: async (req: Req) => {
      const list = await options.list(principalOf(req), taskId(req));
      return { count: list.length, task_options: list };
    },
    create_task_options: async (req: Req, reply: FastifyReply) => {
      const body = optionBody(optionsSchema, req.body, undefined);
      const created = await options.create(principalOf(req), taskId(req), body, schemaErrors(body, undefined));
      reply.code(201);
      return created;
    },
    show_task_options: async (req: Req) => options.show(principalOf(req), taskId(req), req.params.option_id as string),
    update_task_options: async (req: Req) => {
      const id = req.params.option_id as string;
      const body = optionBody(optionsSchema, req.body, id);
      return options.update(principalOf(req), taskId(req), id, body, schemaErrors(body, id));
    },
    destroy_task_options: async (req: Req, reply: FastifyReply) => {
      await options.destroy(principalOf(req), taskId(req), req.params.option_id as string);
      return reply.code(204).send();
    },

    index_task_metadata: async (req: Req) => {
      const list = await metadata.list(principalOf(req), taskId(req));
      return { count: list.length, task_metadata: list };
    },
    create_task_metadata: async (req: Req, reply: FastifyReply) => {
      const created = await metadata.create(principalOf(req), taskId(req), req.body);
      reply.code(201);
      return created;
    },
    show_task_metadata: async (req: Req) => metadata.show(principalOf(req), taskId(req), req.params.metadatum_id as string),
    update_task_metadata: async (req: Req) => metadata.update(principalOf(req), taskId(req), req.params.metadatum_id as string, req.body),
    destroy_task_metadata: async (req: Req, reply: FastifyReply) => {
      await metadata.destroy(principalOf(req), taskId(req), req.params.metadatum_id as string);
      return reply.code(204).send();
    },
  } as Record<string, Handler>;
}

