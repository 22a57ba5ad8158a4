/** Routes of the movers (`/movers`, admins only). */
import type { FastifyRequest } from 'fastify';
import type { MoverService } from '../../services/mover-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

export function moverHandlers(movers: MoverService): Record<string, Handler> {
  return {
    index_movers: async (req: Req) => movers.list(principalOf(req), req.query),
    show_movers: async (req: Req) => movers.show(principalOf(req), req.params.mover_name as string),
  } as Record<string, Handler>;
}
