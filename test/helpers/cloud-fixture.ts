/**
 * What the S3 and Azure test fixtures (helpers/s3.ts, helpers/azure.ts) do alike through the API: register
 * one connector for the test service, import the service's buckets with `-/sync`, and register a bucket
 * created behind Barge's back with its options.
 *
 * Why a base class: both fixtures drive the same endpoints with the same assertions; only the connector's
 * body (credentials, provider) and how a bucket is created on the service differ.
 */
import assert from 'node:assert/strict';
import type { Client } from './barge.js';

export interface TestBucket {
  /** The registry id (a task endpoint's `storage_id`). */
  id: string;
  name: string;
}

/** One connector on a test service (registered through `admin`). */
export abstract class CloudFixture {
  private connectorId: string | undefined;

  constructor(readonly admin: Client) {}

  /** The connector body for the test service (extra fields override). */
  abstract connectorBody(extra?: Record<string, unknown>): Record<string, unknown>;

  /** The fixture's connector, registered on first use. */
  async connector(): Promise<string> {
    if (this.connectorId === undefined) {
      const r = await this.admin.post('/cloud_connectors', this.connectorBody());
      assert.equal(r.status, 201, JSON.stringify(r.body));
      this.connectorId = r.body.id as string;
    }
    return this.connectorId;
  }

  /** Imports the service's buckets; returns the connector's buckets by name. */
  async sync(connectorId?: string): Promise<Map<string, any>> {
    const r = await this.admin.put(`/cloud_connectors/${connectorId ?? (await this.connector())}/cloud_buckets/-/sync`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.count, r.body.cloud_buckets.length);
    return new Map(r.body.cloud_buckets.map((b: any) => [b.name, b]));
  }

  /** Imports `name` (created on the service) with `-/sync` and sets its options. */
  protected async register(name: string, options?: Record<string, unknown>): Promise<TestBucket> {
    const row = (await this.sync()).get(name);
    assert.ok(row, `-/sync imported ${name}`);
    if (options) {
      const u = await this.admin.put(`/cloud_buckets/${row.id}`, { options });
      assert.equal(u.status, 200, JSON.stringify(u.body));
    }
    return { id: row.id, name };
  }
}
