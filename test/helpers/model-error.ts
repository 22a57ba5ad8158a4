/** Assertions on the API's `model_error` shape: `{messages: [...], details: {attr: [{error, ...}]}}`. */
import assert from 'node:assert/strict';
import type { Res } from './barge.js';

/** Asserts the status and the exact model_error shape; with `attr`/`code`, that details[attr][0].error is `code`. */
export function assertModelError(r: Res, status: number, attr?: string, code?: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(typeof r.body, 'object', `expected a JSON body, got ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(r.body).sort(), ['details', 'messages'], JSON.stringify(r.body));
  assert.ok(Array.isArray(r.body.messages) && r.body.messages.length > 0, JSON.stringify(r.body));
  for (const m of r.body.messages) assert.equal(typeof m, 'string');
  assert.equal(typeof r.body.details, 'object');
  assert.ok(!Array.isArray(r.body.details) && r.body.details !== null);
  if (attr !== undefined) {
    assert.ok(Array.isArray(r.body.details[attr]), `details.${attr} missing in ${JSON.stringify(r.body)}`);
    if (code !== undefined) assert.equal(r.body.details[attr][0].error, code, JSON.stringify(r.body));
  }
}
