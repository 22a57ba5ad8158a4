/** A request's signal for the client going away. */
import type { FastifyReply } from 'fastify';

/**
 * A signal that fires when the client goes away before the answer is sent. Why: work done only for
 * the answer (listing a large folder, the robot moves of an eject not started yet) is not worth
 * doing for nobody, and should not keep a storage or a library busy.
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const abort = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  return abort.signal;
}
