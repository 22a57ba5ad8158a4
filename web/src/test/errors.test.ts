/** The API's error bodies → messages next to form fields. */
import { describe, expect, it } from 'vitest';
import { ApiError, errorsUnder, fieldErrors, summarize, toApiError, visibleErrors } from '../lib/errors';
import { parseSseChunk } from '../lib/sse';
import { actionAllowed } from '../lib/actions';

// A real 422 of POST /tasks (several problems at once).
const BODY = {
  messages: [
    'Workflow type is not included in the list (active_archive, offline_archive, data_exchange, data_migration, maintenance, data_enrichment)',
    'Options conflict resolution is not included in the list (rename, overwrite, ignore)',
    "Name can't be blank",
    'Options parallel must be greater than 0',
    'Sources[0] storage nope does not exist (for type nas)',
  ],
  details: {
    workflow_type: [{ error: 'inclusion', value: 'x' }],
    'options.conflict_resolution': [{ error: 'inclusion', value: 'zz' }],
    name: [{ error: 'blank' }],
    'options.parallel': [{ error: 'greater_than', count: 0 }],
    'sources[0].storage_id': [{ error: 'not_found', value: 'nope' }],
  },
};

describe('fieldErrors', () => {
  it('puts the API message, without the attribute name, under each field key', () => {
    const f = fieldErrors(BODY);
    expect(f.name).toEqual(["can't be blank"]);
    expect(f['options.conflict_resolution']).toEqual(['is not included in the list (rename, overwrite, ignore)']);
    expect(f['options.parallel']).toEqual(['must be greater than 0']);
  });
  it('falls back to a text for the code when no message names the attribute', () => {
    expect(fieldErrors(BODY)['sources[0].storage_id']).toEqual(['does not exist (nope)']);
  });
  it('gathers nested keys for a row', () => {
    const f = fieldErrors(BODY);
    expect(errorsUnder(f, 'sources[0]')).toEqual(['does not exist (nope)']);
    expect(errorsUnder(f, 'options')).toHaveLength(2);
    expect(errorsUnder(f, 'destinations[0]')).toEqual([]);
  });
});

describe('toApiError', () => {
  it('reads model_error and data_management_error', () => {
    const m = toApiError(422, BODY);
    expect(m).toBeInstanceOf(ApiError);
    expect(m.messages).toHaveLength(5);
    expect(m.fields.name).toEqual(["can't be blank"]);
    const d = toApiError(409, { id: 'barge.dispatcher', code: 409, detail: 'The execution is already paused', status: 'Conflict' });
    expect(d.message).toBe('The execution is already paused');
    expect(toApiError(0, undefined).message).toMatch(/cannot be reached/);
    expect(toApiError(502, '<html>', 'Bad Gateway').message).toBe('The server answered 502 Bad Gateway.');
  });
});

describe('parseSseChunk', () => {
  it('returns complete events and keeps the partial rest', () => {
    const { events, rest } = parseSseChunk('event: state\ndata: {"status":"paused"}\n\n: keep-alive\n\nevent: progress\ndata: {"size_do');
    expect(events).toEqual([{ event: 'state', data: { status: 'paused' } }]);
    expect(rest).toBe('event: progress\ndata: {"size_do');
  });
});

describe('actionAllowed', () => {
  it('follows the execution state machine', () => {
    expect(actionAllowed('run', undefined)).toBe(true);
    expect(actionAllowed('run', 'in_progress')).toBe(false);
    expect(actionAllowed('pause', 'in_progress')).toBe(true);
    expect(actionAllowed('pause', 'paused')).toBe(false);
    expect(actionAllowed('resume', 'paused')).toBe(true);
    expect(actionAllowed('stop', 'stopping')).toBe(false);
    expect(actionAllowed('force_stop', 'stopping')).toBe(true);
    expect(actionAllowed('force_stop', 'done')).toBe(false);
  });
});

describe('visibleErrors', () => {
  it('drops the messages of fields edited since the refusal', () => {
    const f = fieldErrors(BODY);
    const v = visibleErrors(f, ['options.parallel', 'sources[0]']);
    expect(Object.keys(v).sort()).toEqual(['name', 'options.conflict_resolution', 'workflow_type']);
    expect(summarize({ 'options.parallel': ['must be greater than 0'] })).toEqual(['Options parallel must be greater than 0']);
  });
});
