/** Public meta routes: the OpenAPI document and a health check that touches the store. */
import type { Handler } from '../server.js';

export function metaHandlers(document: Record<string, unknown>, healthy: () => Promise<void>): Record<string, Handler> {
  const body = JSON.stringify(document);
  return {
    openapi_document: async (_req, reply) => reply.type('application/json; charset=utf-8').send(body),
    health: async () => {
      await healthy();
      return { status: 'ok' };
    },
  };
}
