/** Routes of tape: libraries, drives, tapes, their counters and where they are. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TapeLibraryService } from '../../services/tape-library-service.js';
import type { TapeService } from '../../services/tape-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

export function tapeHandlers(libraries: TapeLibraryService, tapes: TapeService): Record<string, Handler> {
  return {
    index_tape_libraries: async (req: Req) => libraries.list(principalOf(req), req.query),
    create_tape_library: async (req: Req, reply: FastifyReply) => {
      reply.code(201);
      return libraries.create(principalOf(req), req.body);
    },
    show_tape_library: async (req: Req) => libraries.show(principalOf(req), req.params.tape_library_id as string),
    destroy_tape_library: async (req: Req, reply: FastifyReply) => {
      await libraries.destroy(principalOf(req), req.params.tape_library_id as string);
      return reply.code(204).send();
    },
    index_tape_drives: async (req: Req) => libraries.listDrives(principalOf(req), req.query),
    index_tape_drives_by_tape_library: async (req: Req) => libraries.listDrives(principalOf(req), req.query, req.params.tape_library_id),
    show_tape_drive: async (req: Req) => libraries.showDrive(principalOf(req), req.params.tape_drive_id as string),
    show_tape_drive_by_tape_library: async (req: Req) => libraries.showDrive(principalOf(req), req.params.tape_drive_id as string, req.params.tape_library_id),
    index_tapes: async (req: Req) => tapes.list(principalOf(req), req.query),
    index_tapes_by_tape_library: async (req: Req) => tapes.list(principalOf(req), req.query, { libraryId: req.params.tape_library_id }),
    index_tapes_by_pool: async (req: Req) => tapes.list(principalOf(req), req.query, { poolId: req.params.pool_id }),
    add_tape_to_pool: async (req: Req, reply: FastifyReply) => {
      reply.code(201);
      return tapes.addToPool(principalOf(req), req.params.pool_id as string, req.body);
    },
    show_tape: async (req: Req) => tapes.show(principalOf(req), req.params.tape_id as string),
    update_tape: async (req: Req) => tapes.update(principalOf(req), req.params.tape_id as string, req.body),
    mount_status_tape: async (req: Req) => tapes.mount(principalOf(req), req.params.tape_id as string),
    show_tape_stat: async (req: Req) => tapes.stat(principalOf(req), req.params.tape_id as string),
    index_tape_stats: async (req: Req) => tapes.stats(principalOf(req), req.query),
  } as Record<string, Handler>;
}
