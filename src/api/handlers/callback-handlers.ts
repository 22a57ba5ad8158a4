/** Routes of a task's callbacks: `/tasks/{task_id}/task_callbacks[/{task_callback_id}]`. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallbackService } from '../../services/callback-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

export function callbackHandlers(callbacks: CallbackService): Record<string, Handler> {
  const task = (req: Req) => req.params.task_id as string;
  const id = (req: Req) => req.params.task_callback_id as string;
  return {
    index_task_callbacks: async (req: Req) => callbacks.list(principalOf(req), task(req), req.query),
    create_task_callbacks: async (req: Req, reply: FastifyReply) => {
      const created = await callbacks.create(principalOf(req), task(req), req.body);
      reply.code(201);
      return created;
    },
    show_task_callbacks: async (req: Req) => callbacks.show(principalOf(req), task(req), id(req)),
    update_task_callbacks: async (req: Req) => callbacks.update(principalOf(req), task(req), id(req), req.body),
    destroy_task_callbacks: async (req: Req, reply: FastifyReply) => {
      await callbacks.destroy(principalOf(req), task(req), id(req));
      return reply.code(204).send();
    },
  } as Record<string, Handler>;
}
