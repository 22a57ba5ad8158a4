/** Routes of webhook deliveries: the list of a webhook callback's deliveries with their attempts. */
import type { FastifyRequest } from 'fastify';
import type { WebhookDeliveryService } from '../../services/webhook-delivery-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

export function webhookHandlers(deliveries: WebhookDeliveryService): Record<string, Handler> {
  return {
    index_task_callback_deliveries: (async (req: Req) =>
      deliveries.list(principalOf(req), req.params.task_id as string, req.params.task_callback_id as string, req.query)) as Handler,
  };
}
