/** Routes of task schedules: one per task (`/tasks/{task_id}/task_schedule`) and the list. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ScheduleService } from '../../services/schedule-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

export function scheduleHandlers(schedules: ScheduleService): Record<string, Handler> {
  const task = (req: Req) => req.params.task_id as string;
  return {
    index_task_schedules: async (req: Req) => schedules.list(principalOf(req), req.query),
    show_task_schedule: async (req: Req) => schedules.show(principalOf(req), task(req)),
    create_task_schedule: async (req: Req, reply: FastifyReply) => {
      const view = await schedules.create(principalOf(req), task(req), req.body);
      reply.code(201);
      return view;
    },
    update_task_schedule: async (req: Req) => schedules.update(principalOf(req), task(req), req.body),
    destroy_task_schedule: async (req: Req, reply: FastifyReply) => {
      await schedules.destroy(principalOf(req), task(req));
      return reply.code(204).send();
    },
  } as Record<string, Handler>;
}
