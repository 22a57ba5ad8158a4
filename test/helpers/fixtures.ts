/** Builders for the resources most tests need: a NAS with shares, users, tasks. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { Client } from './barge.js';

let counter = 0;
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** Creates a NAS and one share per name, each on a fresh temp directory. Returns share ids by name. */
export async function nasWithShares(admin: Client, names: string[]): Promise<Record<string, { id: string; path: string }>> {
  const nas = await admin.post('/nas', { name: unique('nas'), type: 'local' });
  assert.equal(nas.status, 201, JSON.stringify(nas.body));
  const out: Record<string, { id: string; path: string }> = {};
  for (const name of names) {
    const path = await mkdtemp(join(tmpdir(), `barge-share-${name}-`));
    const share = await admin.post(`/nas/${nas.body.id}/nas_shares`, { name: unique(name), path });
    assert.equal(share.status, 201, JSON.stringify(share.body));
    out[name] = { id: share.body.id, path };
  }
  return out;
}

/** Creates a non-admin user and returns a Basic client for them. */
export async function makeUser(admin: Client, username = unique('user'), password = 'user-password-1'): Promise<{ id: string; client: Client; username: string }> {
  const r = await admin.post('/users', { user: { username, password } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { id: r.body.id, client: admin.withBasic(username, password), username };
}

/** A copy task between two shares. */
export function copyTask(src: string, dst: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: unique('copy'),
    workflow_type: 'data_migration',
    workflow_action: 'copy',
    sources: [{ type: 'nas', storage_id: src, node_paths: ['/'] }],
    destinations: [{ type: 'nas', storage_id: dst, node_paths: ['/'] }],
    ...extra,
  };
}

/** Lets every authenticated user use these shares (`guest_right`): new storages start at none. */
export async function openToAll(admin: Client, shares: Record<string, { id: string }>, right: 'read' | 'read_write' = 'read_write'): Promise<void> {
  for (const s of Object.values(shares)) {
    const r = await admin.put(`/nas_shares/${s.id}`, { guest_right: right });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
}
