import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseListQuery, splitOperator, FILTER_OPERATORS, type ListSpec } from './list-query.js';
import { ModelError } from './errors.js';

const SPEC: ListSpec = { filters: { name: 'string', size: 'number', created_at: 'date', flag: 'boolean' }, sortable: ['name', 'created_at'] };

function fails(query: Record<string, unknown>): ModelError {
  try {
    parseListQuery(query, SPEC);
  } catch (err) {
    assert.ok(err instanceof ModelError);
    assert.equal(err.status, 422);
    return err;
  }
  assert.fail('expected a 422');
}

describe('splitOperator', () => {
  it('takes the longest operator first', () => {
    const cases: Array<[string, string, string]> = [
      ['!><a|b', '!><', 'a|b'], ['><a|b', '><', 'a|b'], ['>=5', '>=', '5'], ['<=5', '<=', '5'], ['!=x', '!=', 'x'],
      ['!~%x%', '!~', '%x%'], ['=x', '=', 'x'], ['>5', '>', '5'], ['<5', '<', '5'], ['~x%', '~', 'x%'], ['plain', '=', 'plain'],
    ];
    for (const [raw, op, rest] of cases) assert.deepEqual(splitOperator(raw), { op, rest }, raw);
    assert.equal(FILTER_OPERATORS.length, 10);
  });
});

describe('parseListQuery', () => {
  it('defaults: limit 100, offset 0, no sort, no filters, all false', () => {
    assert.deepEqual(parseListQuery({}, SPEC), { limit: 100, offset: 0, sort: [], filters: [], all: false });
  });

  it('reads pipe-delimited sort_by with directions, as a string or a coerced array', () => {
    const expected = [{ attribute: 'created_at', direction: 'desc' }, { attribute: 'name', direction: 'asc' }];
    assert.deepEqual(parseListQuery({ sort_by: 'created_at:desc|name' }, SPEC).sort, expected);
    assert.deepEqual(parseListQuery({ sort_by: ['created_at:DESC|name:asc'] }, SPEC).sort, expected);
  });

  it('refuses unknown sort attributes and directions, naming each', () => {
    const e = fails({ sort_by: 'nope|name:sideways' });
    assert.deepEqual(e.details.sort_by?.map((d) => d.error), ['inclusion', 'inclusion']);
    assert.equal(e.messages.length, 2);
  });

  it('refuses bad limit/offset with Rails codes, all at once', () => {
    const e = fails({ limit: '-1', offset: 'x' });
    assert.equal(e.details.limit?.[0]?.error, 'greater_than_or_equal_to');
    assert.equal(e.details.offset?.[0]?.error, 'not_an_integer');
    assert.equal(fails({ limit: 1001 }).details.limit?.[0]?.error, 'less_than_or_equal_to');
    assert.equal(parseListQuery({ limit: '1000', offset: '5' }, SPEC).limit, 1000);
  });

  it('types filter values: numbers, dates as UTC instants, booleans, lists', () => {
    const q = parseListQuery({ size: '>=10', created_at: '<2025-01-01T02:00:00+02:00', flag: 'true', name: '><a|b|c' }, SPEC);
    assert.deepEqual(q.filters, [
      { attribute: 'name', op: '><', values: ['a', 'b', 'c'] },
      { attribute: 'size', op: '>=', values: [10] },
      { attribute: 'created_at', op: '<', values: ['2025-01-01T00:00:00.000Z'] },
      { attribute: 'flag', op: '=', values: [true] },
    ]);
  });

  it('keeps LIKE patterns as text whatever the type', () => {
    assert.deepEqual(parseListQuery({ size: '~1%' }, SPEC).filters, [{ attribute: 'size', op: '~', values: ['1%'] }]);
  });

  it('refuses values of the wrong type', () => {
    const e = fails({ size: '>ten', created_at: 'yesterday-ish', flag: 'maybe' });
    assert.equal(e.details.size?.[0]?.error, 'not_a_number');
    assert.equal(e.details.created_at?.[0]?.error, 'invalid');
    assert.equal(e.details.flag?.[0]?.error, 'inclusion');
  });

  it('all=true is read; a non-boolean is refused', () => {
    assert.equal(parseListQuery({ all: 'true' }, SPEC).all, true);
    assert.equal(fails({ all: 'yes' }).details.all?.[0]?.error, 'inclusion');
  });
});
