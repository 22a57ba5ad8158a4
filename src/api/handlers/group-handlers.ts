/** Routes of groups (`/groups`, admins only). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GroupService } from '../../services/group-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

export function groupHandlers(groups: GroupService): Record<string, Handler> {
  return {
    index_groups: async (req: Req) => groups.list(principalOf(req), req.query),
    create_groups: async (req: Req, reply: FastifyReply) => {
      reply.code(201);
      return groups.create(principalOf(req), req.body);
    },
    show_groups: async (req: Req) => groups.show(principalOf(req), req.params.group_id as string),
    update_groups: async (req: Req) => groups.update(principalOf(req), req.params.group_id as string, req.body),
    destroy_groups: async (req: Req, reply: FastifyReply) => {
      await groups.destroy(principalOf(req), req.params.group_id as string);
      return reply.code(204).send();
    },
  } as Record<string, Handler>;
}
