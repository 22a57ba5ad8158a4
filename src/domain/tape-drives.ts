/**
 * `options.selected_drive` / `options.selected_drive_2` (issue #12): which drive of the library a tape
 * run uses — the drive's number in its library, as `/tape_drives` shows it in `index` (0, 1, …).
 * Nodeum's task options give them as strings; Barge also takes a whole number. `selected_drive` is
 * the drive of every tape run that loads cartridges (archive, restore, format, get_index, the
 * source of a duplication); `selected_drive_2` is the second drive of a duplication (the copy).
 * Why parsed in one place: `run` refuses a bad value with a 422 naming the option, and the engine
 * reads the same value the check accepted.
 */

export type DriveOption = 'selected_drive' | 'selected_drive_2';

/** A drive chosen by the task, none (any drive will do), or why the value is not a drive number. */
export type DriveChoice = { ok: true; drive: number | undefined } | { ok: false; why: string };

/** Reads one of the options: absent, null or '' → any drive; "2" or 2 → drive 2; anything else → why not. */
export function selectedDrive(options: Record<string, unknown> | undefined, key: DriveOption): DriveChoice {
  const raw = options?.[key];
  if (raw === undefined || raw === null || raw === '') return { ok: true, drive: undefined };
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : undefined;
  if (text === undefined || !/^\d{1,4}$/.test(text)) return { ok: false, why: `options.${key} must be a drive's number in its library (its index in /tape_drives), not ${JSON.stringify(raw)}` };
  return { ok: true, drive: Number(text) };
}

/** The drive of `key`, or undefined when absent or not a number (the run check refused those already). */
export function selectedDriveOrAny(options: Record<string, unknown> | undefined, key: DriveOption): number | undefined {
  const c = selectedDrive(options, key);
  return c.ok ? c.drive : undefined;
}
