/**
 * A real HTTP server that receives webhooks for tests: it records every request (headers and the raw
 * body, as a verifier must see it) and every TCP connection, and answers per path from a script of
 * status codes (the last one repeats). Listens on every IPv4 interface so that a connection Barge was
 * supposed to refuse would be seen whatever address it used.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
  at: number;
}

export class WebhookReceiver {
  readonly requests: Received[] = [];
  connections = 0;
  private readonly scripts = new Map<string, number[]>();
  private server: Server | undefined;
  port = 0;

  /** Answers for `path`, in order; the last repeats (default 200). */
  answer(path: string, ...statuses: number[]): void {
    this.scripts.set(path, statuses);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = undefined;
        }
        const path = req.url ?? '/';
        this.requests.push({ path, headers: req.headers, raw, body, at: Date.now() });
        const script = this.scripts.get(path) ?? [200];
        const status = script.length > 1 ? (script.shift() as number) : (script[0] ?? 200);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
      });
    });
    this.server.on('connection', () => {
      this.connections += 1;
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '0.0.0.0', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  at(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
