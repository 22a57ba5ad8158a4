import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectedDrive, selectedDriveOrAny } from './tape-drives.js';

describe('selected_drive / selected_drive_2', () => {
  it('reads a drive number given as Nodeum\'s string or as a number; absent or empty is any drive', () => {
    assert.deepEqual(selectedDrive({ selected_drive: '2' }, 'selected_drive'), { ok: true, drive: 2 });
    assert.deepEqual(selectedDrive({ selected_drive_2: 0 }, 'selected_drive_2'), { ok: true, drive: 0 });
    assert.deepEqual(selectedDrive({ selected_drive: ' 1 ' }, 'selected_drive'), { ok: true, drive: 1 });
    for (const v of [undefined, null, '']) assert.deepEqual(selectedDrive({ selected_drive: v }, 'selected_drive'), { ok: true, drive: undefined });
    assert.deepEqual(selectedDrive(undefined, 'selected_drive'), { ok: true, drive: undefined });
  });

  it('refuses what is not a drive number, naming the option', () => {
    for (const v of ['two', '-1', '1.5', 1.5, true, ['1']]) {
      const c = selectedDrive({ selected_drive_2: v }, 'selected_drive_2');
      assert.equal(c.ok, false, JSON.stringify(v));
      if (!c.ok) assert.match(c.why, /^options\.selected_drive_2 must be a drive's number/);
    }
    assert.equal(selectedDriveOrAny({ selected_drive: 'two' }, 'selected_drive'), undefined);
    assert.equal(selectedDriveOrAny({ selected_drive: '3' }, 'selected_drive'), 3);
  });
});
