/**
 * Authentication and scope checks, run on `onRequest` — before the body is parsed or validated, so
 * an anonymous caller gets a 401, never a 422 that reveals the schema. Which operations are public
 * and which scope each needs comes from the OpenAPI document (`security`, `x-barge-scope`).
 */
import type { FastifyRequest } from 'fastify';
import type { AuthService } from '../services/auth-service.js';
import type { Principal, Scope } from '../services/principal.js';
import type { GenerationSource, Generations } from '../services/generations.js';
import { unauthorized } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The store's generations as this request read them, once, before anything else (auth, caches). */
    generations: Generations | null;
  }
}

export interface OperationAuth {
  public: boolean;
  scope: Scope | undefined;
}

/** operationId → its auth needs, read once from the document. */
export function operationAuthMap(doc: Record<string, any>): Map<string, OperationAuth> {
  const out = new Map<string, OperationAuth>();
  for (const ops of Object.values(doc.paths as Record<string, any>)) {
    for (const o of Object.values(ops as Record<string, any>)) {
      const security = o.security ?? doc.security ?? [];
      out.set(o.operationId, { public: Array.isArray(security) && security.length === 0, scope: o['x-barge-scope'] });
    }
  }
  return out;
}

export function makeAuthHook(auth: AuthService, generations: GenerationSource, ops: Map<string, OperationAuth>) {
  return async function authHook(req: FastifyRequest): Promise<void> {
    req.principal = null;
    req.generations = null;
    const operationId = (req.routeOptions.schema as { operationId?: string } | undefined)?.operationId;
    if (!operationId) return; // not an API operation (console assets, 404s)
    const need = ops.get(operationId);
    if (!need || need.public) return;
    // One read of the generations serves the principal cache here and the list cache in the handler.
    const current = await generations.current();
    const principal = await auth.authenticate(req.headers.authorization, current.auth);
    if (need.scope) auth.authorize(principal, need.scope);
    req.principal = principal;
    req.generations = current;
  };
}

/** The principal of an authenticated operation (the hook guarantees it). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw unauthorized();
  return req.principal;
}
