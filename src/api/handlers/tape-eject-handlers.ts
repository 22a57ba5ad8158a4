/**
 * The routes that eject cartridges from a tape library and import them back (Barge additions;
 * services/tape-eject-service.ts, services/tape-import-service.ts).
 * A client that goes away stops the moves not started yet; a move under way finishes or does not
 * happen, and the rows follow each move made.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TapeEjectService } from '../../services/tape-eject-service.js';
import type { TapeImportService } from '../../services/tape-import-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';
import { clientGone } from './client-gone.js';

type Req = FastifyRequest<{ Params: Record<string, string> }>;

export function tapeEjectHandlers(ejects: TapeEjectService, imports: TapeImportService): Record<string, Handler> {
  return {
    eject_tapes_by_tape_library: (async (req: Req, reply: FastifyReply) =>
      ejects.eject(principalOf(req), req.params.tape_library_id as string, req.body, clientGone(reply))) as Handler,
    import_tapes_by_tape_library: (async (req: Req, reply: FastifyReply) =>
      imports.import(principalOf(req), req.params.tape_library_id as string, req.body, clientGone(reply))) as Handler,
  };
}
