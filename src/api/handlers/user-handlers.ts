/** Routes of users, sign-in and the caller's API keys. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserService } from '../../services/user-service.js';
import type { Handler } from '../server.js';
import { principalOf } from '../auth-hook.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

export function userHandlers(users: UserService): Record<string, Handler> {
  return {
    index_users: async (req: Req) => users.list(principalOf(req), req.query),
    create_users: async (req: Req, reply: FastifyReply) => {
      reply.code(201);
      return users.create(principalOf(req), req.body);
    },
    show_users: async (req: Req) => users.show(principalOf(req), req.params.user_id as string),
    update_users: async (req: Req) => users.update(principalOf(req), req.params.user_id as string, req.body),
    destroy_users: async (req: Req, reply: FastifyReply) => {
      await users.destroy(principalOf(req), req.params.user_id as string);
      return reply.code(204).send();
    },
    show_me: async (req: Req) => users.me(principalOf(req)),
    sign_in: async (req: Req, reply: FastifyReply) => {
      const { user, token } = await users.signIn(req.body);
      reply.code(201).header('authorization', `Bearer ${token}`);
      return { token, user };
    },
    index_api_keys: async (req: Req) => users.listKeys(principalOf(req), req.query),
    create_api_keys: async (req: Req, reply: FastifyReply) => {
      reply.code(201);
      return users.createKey(principalOf(req), req.body);
    },
    show_api_keys: async (req: Req) => users.showKey(principalOf(req), req.params.api_key_id as string),
    update_api_keys: async (req: Req) => users.updateKey(principalOf(req), req.params.api_key_id as string, req.body),
    destroy_api_keys: async (req: Req, reply: FastifyReply) => {
      await users.destroyKey(principalOf(req), req.params.api_key_id as string);
      return reply.code(204).send();
    },
  } as Record<string, Handler>;
}
