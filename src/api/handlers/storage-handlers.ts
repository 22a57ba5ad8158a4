/** Routes of the storage registry: NAS, shares, cloud connectors, buckets, pools. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RegistryService, ResourceName } from '../../services/registry-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

/** index/create/show/update/destroy for one resource; `suffix` is the operationId suffix, `idParam` the item path param. */
function crudHandlers(reg: RegistryService, resource: ResourceName, suffix: string, idParam: string): Record<string, Handler> {
  return {
    [`index_${suffix}`]: async (req: Req) => reg.list(principalOf(req), resource, req.query),
    [`create_${suffix}`]: async (req: Req, reply: FastifyReply) => {
      reply.code(201);
      return reg.create(principalOf(req), resource, req.body);
    },
    [`show_${suffix}`]: async (req: Req) => reg.show(principalOf(req), resource, req.params[idParam] as string),
    [`update_${suffix}`]: async (req: Req) => reg.update(principalOf(req), resource, req.params[idParam] as string, req.body),
    [`destroy_${suffix}`]: async (req: Req, reply: FastifyReply) => {
      await reg.destroy(principalOf(req), resource, req.params[idParam] as string);
      return reply.code(204).send();
    },
  } as Record<string, Handler>;
}

export function storageHandlers(reg: RegistryService): Record<string, Handler> {
  return {
    ...crudHandlers(reg, 'nas', 'nas', 'nas_id'),
    ...crudHandlers(reg, 'nas_shares', 'nas_shares', 'nas_share_id'),
    ...crudHandlers(reg, 'cloud_connectors', 'cloud_connectors', 'cloud_connector_id'),
    ...crudHandlers(reg, 'cloud_buckets', 'cloud_buckets', 'cloud_bucket_id'),
    ...crudHandlers(reg, 'pools', 'pools', 'pool_id'),
    index_nas_shares_of_nas: (async (req: Req) => reg.list(principalOf(req), 'nas_shares', req.query, req.params.nas_id)) as Handler,
    create_nas_shares_of_nas: (async (req: Req, reply: FastifyReply) => {
      reply.code(201);
      return reg.create(principalOf(req), 'nas_shares', req.body, req.params.nas_id);
    }) as Handler,
    index_cloud_buckets_of_connector: (async (req: Req) => reg.list(principalOf(req), 'cloud_buckets', req.query, req.params.cloud_connector_id)) as Handler,
    create_cloud_buckets_of_connector: (async (req: Req, reply: FastifyReply) => {
      reply.code(201);
      return reg.create(principalOf(req), 'cloud_buckets', req.body, req.params.cloud_connector_id);
    }) as Handler,
    mount_status_nas_share: (async (req: Req) => reg.mountStatus(principalOf(req), req.params.nas_share_id as string)) as Handler,
    test_cloud_connector: (async (req: Req) => reg.testConnector(principalOf(req), req.body)) as Handler,
    sync_cloud_buckets: (async (req: Req) => reg.syncBuckets(principalOf(req), req.params.cloud_connector_id as string)) as Handler,
  };
}
