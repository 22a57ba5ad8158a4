/**
 * Server-Sent Events, read from a fetch body with a stream reader (no EventSource in Node 20). The
 * parser is incremental and pure — chunks may split lines or events anywhere — so it is unit-tested
 * on its own; `sseEvents` wires it to a Response.
 */

/** One event: its name (`message` when the server sends none) and its data lines joined. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Feeds text chunks, returns the events completed so far (per the SSE spec: blank line ends an event). */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const nl = this.buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      if (this.buffer[nl] === '\r' && nl === this.buffer.length - 1) break; // maybe a \r\n split across chunks
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + (this.buffer.startsWith('\r\n', nl) ? 2 : 1));
      const done = this.line(line);
      if (done) out.push(done);
    }
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      const ev = this.data.length > 0 ? { event: this.event || 'message', data: this.data.join('\n') } : undefined;
      this.event = '';
      this.data = [];
      return ev;
    }
    if (line.startsWith(':')) return undefined; // comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    return undefined;
  }
}

/** The events of an SSE response, in order, until the server closes the stream. */
export async function* sseEvents(res: Response): AsyncGenerator<SseEvent> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const ev of parser.push(decoder.decode(value, { stream: true }))) yield ev;
    }
    for (const ev of parser.push(decoder.decode() + '\n\n')) yield ev;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
