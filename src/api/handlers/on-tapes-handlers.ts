/** Routes of Nodeum's `on_tapes_file`: a tape pool's files by folder, with the cartridges holding them. */
import type { FastifyRequest } from 'fastify';
import type { OnTapesFileService } from '../../services/on-tapes-file-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

export function onTapesHandlers(files: OnTapesFileService): Record<string, Handler> {
  return {
    index_on_tapes_files_by_pool: async (req: Req) => files.list(principalOf(req), req.params.pool_id as string, undefined, req.query),
    on_tapes_files_children_by_pool: async (req: Req) => files.list(principalOf(req), req.params.pool_id as string, req.params.file_parent_id as string, req.query),
  } as Record<string, Handler>;
}
