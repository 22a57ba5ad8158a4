/**
 * Builds the HTTP server: fastify with routes and Ajv validation generated from the OpenAPI document
 * (fastify-openapi-glue), the auth hook, one error handler, and JSON in and out. Handlers are thin:
 * read the request, call one service method, send the result.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import openapiGlue from 'fastify-openapi-glue';
import type { Logger } from 'pino';
import { errorHandler } from './error-mapper.js';
import { makeAuthHook, operationAuthMap } from './auth-hook.js';
import { notFound } from '../domain/errors.js';
import { ModelError } from '../domain/errors.js';
import type { AuthService } from '../services/auth-service.js';

export type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface ServerDeps {
  document: Record<string, any>;
  handlers: Record<string, Handler>;
  auth: AuthService;
  logger: Logger;
  corsOrigins: readonly string[];
  /** Extra plugins (console, metrics) registered after the API. */
  extras?: Array<(app: FastifyInstance) => Promise<void>>;
}

export const BODY_LIMIT = 1024 * 1024;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // Per-request access lines are off (the API's own errors are logged where they happen).
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { allErrors: true, strict: false, coerceTypes: 'array', useDefaults: true, removeAdditional: false } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
  });
  // Responses are plain JSON.stringify: response schemas document, they never filter fields out.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => errorHandler(new ModelError(404, [`No route for ${req.method} ${req.url.split('?')[0]}`], { path: [{ error: 'not_found' }] }), req, reply));

  // JSON only. An empty body with a JSON content type means "no body" (several Nodeum clients send one).
  app.removeAllContentTypeParsers();
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, {});
    defaultJson(req, body as string, done);
  });

  app.decorateRequest('principal', null);
  app.addHook('onRequest', makeAuthHook(deps.auth, operationAuthMap(deps.document)));
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    reply.header('cache-control', 'no-store');
    return payload;
  });
  if (deps.corsOrigins.length > 0) {
    const allowed = new Set(deps.corsOrigins);
    app.addHook('onRequest', async (req, reply) => {
      const origin = req.headers.origin;
      if (origin && (allowed.has(origin) || allowed.has('*'))) {
        reply.header('access-control-allow-origin', origin);
        reply.header('vary', 'Origin');
        reply.header('access-control-allow-headers', 'authorization, content-type');
        reply.header('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS');
        reply.header('access-control-expose-headers', 'authorization, x-request-id');
      }
      if (req.method === 'OPTIONS' && origin) await reply.code(204).send();
    });
  }

  await app.register(openapiGlue, {
    specification: deps.document,
    prefix: '/api/v2',
    operationResolver: (operationId: string) => {
      const h = deps.handlers[operationId];
      if (!h) return async () => { throw notFound(`Operation ${operationId}`); };
      return h;
    },
  });
  for (const extra of deps.extras ?? []) await extra(app);
  return app;
}
