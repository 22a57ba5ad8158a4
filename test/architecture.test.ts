/**
 * The dependency rule of docs/architecture.md, checked on the source: which layer may import which
 * (type-only imports of lower-level interfaces are allowed where noted), and no import cycles.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../src');

interface Edge { from: string; to: string; typeOnly: boolean }

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const f of files(SRC)) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm)) {
      const target = resolve(dirname(f), (m[3] as string).replace(/\.js$/, '.ts'));
      out.push({ from: relative(SRC, f), to: relative(SRC, target), typeOnly: Boolean(m[2]) });
    }
  }
  return out;
}

function layer(path: string): string {
  const first = path.split('/')[0] as string;
  return first.endsWith('.ts') ? 'root' : first;
}

/** layer → layers it may import at run time; `types` → layers it may import types from. */
const RULES: Record<string, { runtime: string[]; types?: string[] }> = {
  domain: { runtime: ['domain'] },
  lib: { runtime: ['lib'] },
  config: { runtime: ['config'] },
  storage: { runtime: ['storage', 'lib'] },
  store: { runtime: ['store', 'domain', 'lib'], types: ['engine'] },
  engine: { runtime: ['engine', 'domain', 'lib', 'storage'], types: ['store'] },
  services: { runtime: ['services', 'domain', 'lib'], types: ['store', 'storage', 'engine'] },
  api: { runtime: ['api', 'services', 'domain', 'lib'], types: ['store'] },
  // The CLI talks to the API only; it may share the domain's pure constants (enums) but no service or
  // store, and it reads the API's answers through the contract's generated types (api/openapi/types.ts).
  cli: { runtime: ['cli', 'lib', 'domain'], types: ['api'] },
  root: { runtime: ['*'] },
};

describe('architecture', () => {
  const all = edges();

  it('finds the source (the check is not vacuous)', () => {
    assert.ok(all.length > 100, `only ${all.length} imports found`);
  });

  it('every layer imports only what the dependency rule allows', () => {
    const bad: string[] = [];
    for (const e of all) {
      const from = layer(e.from);
      const to = layer(e.to);
      const rule = RULES[from];
      if (!rule) {
        bad.push(`${e.from}: layer ${from} has no rule`);
        continue;
      }
      if (rule.runtime.includes('*') || rule.runtime.includes(to)) continue;
      if (e.typeOnly && rule.types?.includes(to)) continue;
      bad.push(`${e.from} → ${e.to}${e.typeOnly ? ' (type)' : ''}`);
    }
    assert.deepEqual(bad, []);
  });

  it('has no import cycles between files (run-time imports)', () => {
    const graph = new Map<string, string[]>();
    for (const e of all) if (!e.typeOnly) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (n: string, stack: string[]) => {
      if (state.get(n) === 'done') return;
      if (state.get(n) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(n)), n].join(' → '));
        return;
      }
      state.set(n, 'open');
      for (const m of graph.get(n) ?? []) visit(m, [...stack, n]);
      state.set(n, 'done');
    };
    for (const n of graph.keys()) visit(n, []);
    assert.deepEqual(cycles, []);
  });
});
