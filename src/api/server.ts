/**
 * Builds the HTTP server: fastify with routes and Ajv validation generated from the OpenAPI document
 * (fastify-openapi-glue), the auth hook, one error handler, and JSON in and out. Handlers are thin:
 * read the request, call one service method, send the result.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import openapiGlue from 'fastify-openapi-glue';
import type { Logger } from 'pino';
import { errorHandler } from './error-mapper.js';
import { validatorCompiler } from './validators.js';
import { makeAuthHook, operationAuthMap } from './auth-hook.js';
import { notFound } from '../domain/errors.js';
import { ModelError, humanAttribute } from '../domain/errors.js';
import type { AuthService } from '../services/auth-service.js';
import type { GenerationSource } from '../services/generations.js';

export type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface ServerDeps {
  document: Record<string, any>;
  handlers: Record<string, Handler>;
  auth: AuthService;
  /** The store's generations, read once per authenticated request (auth-hook.ts). */
  generations: GenerationSource;
  logger: Logger;
  corsOrigins: readonly string[];
  /** Extra plugins (console, metrics) registered after the API. */
  extras?: Array<(app: FastifyInstance) => Promise<void>>;
}

export const BODY_LIMIT = 1024 * 1024;

/** Operations whose handlers merge schema errors with the service's validation. */
export const ATTACH_VALIDATION = new Set(['create_task', 'update_task']);

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // Per-request access lines are off (the API's own errors are logged where they happen).
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
  });
  // Schema defaults are never applied (the only ones are three task options, and writing them into
  // every body made a partial PUT of `options` reset them); bodies are not coerced (validators.ts).
  app.setValidatorCompiler(validatorCompiler());
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

  // No string anywhere in a request may hold a NUL: PostgreSQL text cannot store one (it was a 500
  // there while SQLite stored it), and no name, path or id legitimately contains one. Nesting is
  // bounded too: a 150 000-deep `options` value parsed fine but overflowed the stack when stored.
  app.addHook('preValidation', async (req) => {
    for (const value of [req.body, req.query, req.params]) {
      const p = inputProblem(value);
      if (p?.kind === 'nul') throw new ModelError(422, [`${humanAttribute(p.attr)} contains a NUL byte`], { [p.attr]: [{ error: 'invalid' }] });
      if (p?.kind === 'depth') {
        throw new ModelError(422, [`${humanAttribute(p.attr)} is nested too deeply (maximum depth ${MAX_JSON_DEPTH})`], { [p.attr]: [{ error: 'too_long', count: MAX_JSON_DEPTH }] });
      }
    }
  });

  // Task create/update collect schema errors instead of failing at once, so the service reports them
  // together with its own checks (one 422 naming every problem).
  app.addHook('onRoute', (route) => {
    const id = (route.schema as { operationId?: string } | undefined)?.operationId;
    if (id !== undefined && ATTACH_VALIDATION.has(id)) route.attachValidation = true;
  });
  app.decorateRequest('principal', null);
  app.decorateRequest('generations', null);
  app.addHook('onRequest', makeAuthHook(deps.auth, deps.generations, operationAuthMap(deps.document)));
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

export const MAX_JSON_DEPTH = 100;

/**
 * The first problem in a request value: a string holding a NUL (with its attribute path,
 * `sources[0].node_paths[1]`), or nesting deeper than MAX_JSON_DEPTH (with the top-level attribute).
 * Iterative, and stops at the depth limit, so hostile nesting costs neither stack nor memory.
 */
export function inputProblem(root: unknown): { attr: string; kind: 'nul' | 'depth' } | undefined {
  const stack: Array<[unknown, string, number]> = [[root, '', 0]];
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop() as [unknown, string, number];
    if (typeof v === 'string') {
      if (v.includes('\0')) return { attr: path || 'base', kind: 'nul' };
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= MAX_JSON_DEPTH) return { attr: path.split(/[.[]/)[0] || 'base', kind: 'depth' };
      if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, `${path}[${i}]`, depth + 1]));
      else for (const [k, x] of Object.entries(v)) stack.push([x, path ? `${path}.${k}` : k, depth + 1]);
    }
  }
  return undefined;
}
