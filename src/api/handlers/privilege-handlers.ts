/** Routes of storage privileges: `/{nas_shares|cloud_buckets|pools}/{id}/privileges[/{privilege_id}]`. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PrivilegeService } from '../../services/privilege-service.js';
import type { GuardedResource } from '../../domain/privileges.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

function forResource(svc: PrivilegeService, resource: GuardedResource, param: string): Record<string, Handler> {
  const suffix = `${param.replace(/_id$/, '')}_privileges`;
  const storage = (req: Req) => req.params[param] as string;
  return {
    [`index_${suffix}`]: async (req: Req) => svc.list(principalOf(req), resource, storage(req), req.query),
    [`create_${suffix}`]: async (req: Req, reply: FastifyReply) => {
      reply.code(201);
      return svc.create(principalOf(req), resource, storage(req), req.body);
    },
    [`show_${suffix}`]: async (req: Req) => svc.show(principalOf(req), resource, storage(req), req.params.privilege_id as string),
    [`update_${suffix}`]: async (req: Req) => svc.update(principalOf(req), resource, storage(req), req.params.privilege_id as string, req.body),
    [`destroy_${suffix}`]: async (req: Req, reply: FastifyReply) => {
      await svc.destroy(principalOf(req), resource, storage(req), req.params.privilege_id as string);
      return reply.code(204).send();
    },
  } as Record<string, Handler>;
}

export function privilegeHandlers(svc: PrivilegeService): Record<string, Handler> {
  return {
    ...forResource(svc, 'nas_shares', 'nas_share_id'),
    ...forResource(svc, 'cloud_buckets', 'cloud_bucket_id'),
    ...forResource(svc, 'pools', 'pool_id'),
  };
}
