/** Routes of the tasks resource (the seed's operations) and its sources/destinations. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TaskService } from '../../services/task-service.js';
import type { TaskListCache } from '../../services/task-list-cache.js';
import type { ExecutionService } from '../../services/execution-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';
import type { EndpointRole } from '../../domain/task.js';
import type { ValidationErrors } from '../../domain/errors.js';
import { schemaErrors } from '../error-mapper.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

/** Schema errors kept by `attachValidation` (see server.ts), for the service to report with its own. */
function attached(req: Req): ValidationErrors | undefined {
  const v = (req as unknown as { validationError?: { validation?: unknown[]; validationContext?: string } }).validationError;
  return v ? schemaErrors(v as never, req) : undefined;
}

function endpointHandlers(tasks: TaskService, role: EndpointRole): Record<string, Handler> {
  const plural = `task_${role}s`;
  const idParam = `${role}_id`;
  return {
    [`index_${plural}`]: async (req: Req) => {
      const list = await tasks.listEndpoints(principalOf(req), req.params.task_id as string, role);
      return { count: list.length, [plural]: list };
    },
    [`create_${plural}`]: async (req: Req, reply: FastifyReply) => {
      reply.code(201);
      return tasks.createEndpoint(principalOf(req), req.params.task_id as string, role, req.body);
    },
    [`show_${plural}`]: async (req: Req) => tasks.showEndpoint(principalOf(req), req.params.task_id as string, role, req.params[idParam] as string),
    [`update_${plural}`]: async (req: Req) => tasks.updateEndpoint(principalOf(req), req.params.task_id as string, role, req.params[idParam] as string, req.body),
    [`destroy_${plural}`]: async (req: Req, reply: FastifyReply) => {
      await tasks.destroyEndpoint(principalOf(req), req.params.task_id as string, role, req.params[idParam] as string);
      return reply.code(204).send();
    },
  } as Record<string, Handler>;
}

/** What fastify's serializer would set for an object: cached bodies go out with the same header. */
const JSON_TYPE = 'application/json; charset=utf-8';

export function taskHandlers(tasks: TaskService, executions: ExecutionService, lists: TaskListCache): Record<string, Handler> {
  const id = (req: Req) => req.params.task_id as string;
  const h = {
    // Bytes, already serialized (and usually cached): see services/task-list-cache.ts. The payload is
    // returned, not `reply`: awaiting a returned reply makes fastify watch the socket for its end.
    index_tasks: async (req: Req, reply: FastifyReply) => {
      const body = await lists.body(principalOf(req), req.query, req.generations?.tasks);
      reply.type(JSON_TYPE);
      return body;
    },
    create_task: async (req: Req, reply: FastifyReply) => {
      const task = await tasks.create(principalOf(req), req.body, attached(req));
      reply.code(201);
      return task;
    },
    show_task: async (req: Req) => tasks.show(principalOf(req), id(req)),
    update_task: async (req: Req) => tasks.update(principalOf(req), id(req), req.body, attached(req)),
    destroy_task: async (req: Req, reply: FastifyReply) => {
      await tasks.destroy(principalOf(req), id(req));
      return reply.code(204).send();
    },
    run_task: async (req: Req) => executions.run(principalOf(req), id(req), req.body),
    defer_run_task: async (req: Req) => executions.deferRun(principalOf(req), id(req), req.body),
    run_defer_task: async (req: Req) => executions.runDefer(req.query.defer_id),
    pause_task: async (req: Req) => executions.control(principalOf(req), id(req), 'pause'),
    resume_task: async (req: Req) => executions.control(principalOf(req), id(req), 'resume'),
    stop_task: async (req: Req) => executions.control(principalOf(req), id(req), 'stop'),
    force_stop_task: async (req: Req) => executions.control(principalOf(req), id(req), 'force_stop'),
    index_task_executions: async (req: Req) => executions.list(principalOf(req), req.query),
    index_task_execution_files: async (req: Req) => executions.files(principalOf(req), req.params.task_execution_id as string, req.query),
    task_execution_events: async (req: Req, reply: FastifyReply) => {
      const abort = new AbortController();
      const events = await executions.events(principalOf(req), req.params.task_execution_id as string, abort.signal);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-request-id': String(req.id) });
      res.on('close', () => abort.abort());
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      try {
        for await (const e of events) res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
      } catch (err) {
        req.log.error({ err }, 'event stream failed');
      } finally {
        clearInterval(keepAlive);
        res.end();
      }
    },
    show_task_execution: async (req: Req) => executions.show(principalOf(req), req.params.task_execution_id as string),
    index_task_executions_of_task: async (req: Req) => executions.list(principalOf(req), req.query, id(req)),
    show_task_execution_of_task: async (req: Req) => executions.show(principalOf(req), req.params.task_execution_id as string, id(req)),
  } as Record<string, Handler>;
  return { ...h, ...endpointHandlers(tasks, 'source'), ...endpointHandlers(tasks, 'destination') };
}
