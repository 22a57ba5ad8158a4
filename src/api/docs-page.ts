/**
 * A readable API reference at `/api/v2/docs`, rendered on the server from the same OpenAPI document
 * that validates requests (so it cannot drift), without scripts: every operation by tag with its
 * method, path, API-key scope, parameters and responses.
 */
import type { FastifyInstance } from 'fastify';

type Json = Record<string, any>;

function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderDocs(doc: Json): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      const tag = (op.tags?.[0] as string | undefined) ?? 'other';
      const scope = op['x-barge-scope'];
      const params = (op.parameters ?? []).filter((p: Json) => p.name).map((p: Json) => `<code>${esc(p.name)}</code> <small>(${esc(p.in)})</small>`).join(', ');
      const responses = Object.keys(op.responses ?? {}).map((c) => `<code>${esc(c)}</code>`).join(' ');
      const auth = (op.security ?? doc.security ?? []).length === 0 ? '<span class="pub">public</span>' : scope ? `scope <code>${esc(scope.controller)} / ${esc(scope.action)}</code>` : '';
      const html = `<tr id="${esc(op.operationId)}"><td><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span></td><td><code>${esc(path)}</code><div class="s">${esc(op.summary)}</div>${params ? `<div class="p">${params}</div>` : ''}</td><td>${auth}</td><td>${responses}</td><td><code>${esc(op.operationId)}</code></td></tr>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag.entries()].map(([tag, rows]) => `<h2>${esc(tag)}</h2><table><thead><tr><th>Method</th><th>Path</th><th>Auth</th><th>Responses</th><th>operationId</th></tr></thead><tbody>${rows.join('')}</tbody></table>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info?.title)} — API reference</title><style>
body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#0f172a;background:#f8fafc}main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:22px}h2{font-size:16px;margin-top:28px;text-transform:capitalize}table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e2e8f0}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid #e2e8f0;vertical-align:top}th{font-size:12px;color:#475569;text-transform:uppercase}
code{font:12px ui-monospace,monospace}.s{color:#475569}.p{margin-top:4px;color:#64748b}.m{font:600 11px ui-monospace,monospace;padding:2px 6px;border-radius:4px;background:#e2e8f0}
.get{background:#dbeafe}.post{background:#dcfce7}.put{background:#fef9c3}.delete{background:#fee2e2}.pub{color:#15803d}</style></head>
<body><main><h1>${esc(doc.info?.title)} <small>v${esc(doc.info?.version)}</small></h1>
<p>Base path <code>/api/v2</code>. The machine-readable contract is <a href="/api/v2/openapi.json">/api/v2/openapi.json</a>. Authenticate with HTTP Basic, an API key (<code>Authorization: &lt;key&gt;</code>) or a JWT from <code>POST /users/sign_in</code>.</p>
${sections}</main></body></html>`;
}

/** Registers `GET /api/v2/docs`. */
export function docsPage(doc: Json) {
  const html = renderDocs(doc);
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v2/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(html));
  };
}
