/**
 * Serves the web console (web/, built to web/dist by `npm run build`) under /console/ on the API's
 * port: static files, index.html for every client-side route (SPA fallback), `/` redirecting to the
 * console, and a content-security-policy of its own (same origin only: the console talks to nothing
 * but this server's REST API). Without a build, /console/ answers a 503 page saying how to build it —
 * the API keeps working either way.
 */
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { packageRoot } from '../lib/package-root.js';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const CONSOLE_PREFIX = '/console/';
/** The header value web/src/lib/api.ts sends with every call. */
export const CONSOLE_REQUESTED_WITH = 'XMLHttpRequest';
export const DEFAULT_CONSOLE_DIR = join(packageRoot(), 'web', 'dist') + sep;

/** Same origin only; `data:` images for the browser's own form controls; no inline script or style. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONSOLE_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'same-origin');
}

// Plain HTML: the CSP above forbids inline styles, on this page too.
const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Barge console not built</title></head>
<body><h1>The Barge console is not built</h1>
<p>This server has no console files (<code>web/dist</code> is missing). Build them with</p>
<pre>npm run build</pre>
<p>and restart Barge (<code>npm start</code> builds them for you). The API at <a href="/api/v2/openapi.json">/api/v2</a> works meanwhile.</p>
</body></html>`;

/** The fastify plugin (registered through ServerDeps.extras). `dir` is for tests. */
export function consolePlugin(dir: string = DEFAULT_CONSOLE_DIR): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    app.get('/', async (_req, reply) => reply.redirect(CONSOLE_PREFIX, 302));
    // A 401 carrying `WWW-Authenticate: Basic` makes browsers open their own password prompt, even for
    // fetch(): a wrong password or an expired session would hang behind a native dialog instead of
    // showing the console's message. The console marks its calls the usual way (X-Requested-With), and
    // only those lose the challenge; every other client still gets it.
    app.addHook('onSend', async (req, reply, payload) => {
      if (reply.statusCode === 401 && req.headers['x-requested-with'] === CONSOLE_REQUESTED_WITH) reply.removeHeader('www-authenticate');
      return payload;
    });
    await app.register(async (c) => {
      c.addHook('onSend', async (req, reply, payload) => {
        securityHeaders(reply);
        // Hashed asset names change with their content: cache them for good; everything else revalidates.
        const path = req.url.split('?')[0] as string;
        reply.header('cache-control', path.startsWith(`${CONSOLE_PREFIX}assets/`) && reply.statusCode === 200 ? 'public, max-age=31536000, immutable' : 'no-cache');
        return payload;
      });
      if (!existsSync(`${dir}/index.html`)) {
        const notBuilt = async (_req: unknown, reply: FastifyReply) => reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
        c.get('/', notBuilt);
        c.get('/*', notBuilt);
        return;
      }
      await c.register(fastifyStatic, { root: dir, prefix: '/', wildcard: true, index: 'index.html', cacheControl: false, serveDotFiles: false });
      // Client-side routes (/console/tasks/42) get the app; a missing asset stays a 404.
      c.setNotFoundHandler(async (req, reply) => {
        const path = req.url.split('?')[0] as string;
        if (path === '/console') return reply.redirect(CONSOLE_PREFIX, 302);
        if (req.method === 'GET' && path.startsWith(CONSOLE_PREFIX) && !path.startsWith(`${CONSOLE_PREFIX}assets/`) && !/\.[a-z0-9]+$/i.test(path)) {
          return reply.type('text/html; charset=utf-8').sendFile('index.html');
        }
        return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
      });
    }, { prefix: '/console' });
  };
}
