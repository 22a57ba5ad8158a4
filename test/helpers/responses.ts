/**
 * Records every HTTP response the test process receives through `fetch` (status, headers, body
 * text), so a suite can assert that a secret never appeared in *any* response it saw.
 */

export interface Recorded {
  method: string;
  url: string;
  status: number;
  headers: string;
  body: string;
}

export interface Recorder {
  readonly seen: Recorded[];
  /** Responses whose headers or body contain `needle`. */
  containing(needle: string): Recorded[];
  restore(): void;
}

export function recordResponses(): Recorder {
  const real = globalThis.fetch;
  const seen: Recorded[] = [];
  globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const r = await real(input, init);
    const body = await r.clone().text();
    const headers = [...r.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
    seen.push({ method: init?.method ?? 'GET', url: String(input instanceof Request ? input.url : input), status: r.status, headers, body });
    return r;
  };
  return {
    seen,
    containing: (needle) => seen.filter((x) => x.body.includes(needle) || x.headers.includes(needle)),
    restore: () => {
      globalThis.fetch = real;
    },
  };
}
