/**
 * Reads the execution's Server-Sent Events with fetch(): a browser EventSource cannot send the
 * Authorization header the API needs. Parses the `event:`/`data:` blocks as they arrive and hands
 * each to `onEvent`; resolves when the server closes the stream (the execution ended) or on abort.
 */
import { API_BASE, authHeaders } from './api';
import { toApiError } from './errors';

export interface SseEvent {
  event: string;
  data: unknown;
}

/** Splits a buffer into complete SSE blocks, returning the events and the unfinished remainder. */
export function parseSseChunk(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':') || line === '') continue;
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) continue;
    const text = data.join('\n');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* plain text data */
    }
    events.push({ event, data: parsed });
  }
  return { events, rest };
}

export async function streamEvents(path: string, onEvent: (e: SseEvent) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(API_BASE + path, { headers: { accept: 'text/event-stream', ...authHeaders() }, signal });
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* keep text */
    }
    throw toApiError(res.status, body, res.statusText);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const parsed = parseSseChunk(buffer + value);
      buffer = parsed.rest;
      for (const e of parsed.events) onEvent(e);
    }
  } finally {
    reader.releaseLock();
  }
}
