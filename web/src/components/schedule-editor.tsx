/**
 * Setting a task's schedule: the rule as RFC 5545 text (a DTSTART line, an RRULE line, optional
 * EXDATE/RDATE lines) and catch-up. The API checks the rule and says why it refuses one (shown
 * under the field); a new rule is POSTed (it replaces the task's schedule), a changed one PUT.
 */
import { useEffect, useState } from 'react';
import { post, put } from '../lib/api';
import { ApiError } from '../lib/errors';
import { browserZone, starterRule, type Schedule } from '../lib/schedule';
import { Button, ErrorBanner, Field, Modal } from './ui';

export function ScheduleEditor({ taskId, current, open, onClose, onSaved }: { taskId: string; current: Schedule | undefined; open: boolean; onClose: () => void; onSaved: (s: Schedule) => void }) {
  const [rule, setRule] = useState('');
  const [catchUp, setCatchUp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    if (!open) return;
    setRule(current?.rrule ?? starterRule(browserZone()));
    setCatchUp(current?.catch_up ?? false);
    setError(undefined);
  }, [open, current]);

  async function save() {
    setBusy(true);
    setError(undefined);
    const path = `/tasks/${encodeURIComponent(taskId)}/task_schedule`;
    try {
      const saved = current
        ? await put<Schedule>(path, { ...(rule !== current.rrule ? { rrule: rule } : {}), catch_up: catchUp })
        : await post<Schedule>(path, { rrule: rule, catch_up: catchUp });
      onSaved(saved);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  }

  const ruleErrors = error?.fields.rrule;
  return (
    <Modal
      title={current ? 'Change the schedule' : 'Set a schedule'}
      open={open}
      onClose={onClose}
      footer={<><Button onClick={onClose}>Cancel</Button><Button variant="primary" busy={busy} onClick={() => void save()}>Save schedule</Button></>}
    >
      <form onSubmit={(e) => { e.preventDefault(); void save(); }} noValidate className="schedule-form">
        <ErrorBanner error={error && !ruleErrors ? error : undefined} title="The schedule was not saved" />
        <Field
          label="Rule (RFC 5545)"
          htmlFor="schedule-rrule"
          errors={ruleErrors}
          hint={<>A <code>DTSTART</code> line (with <code>TZID=</code> a zone such as Europe/Brussels; without it and without <code>Z</code> the time is UTC) and one <code>RRULE</code> line, e.g. <code>RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR</code>. Occurrences stay at their local time across daylight-saving changes.</>}
        >
          <textarea id="schedule-rrule" name="rrule" className="mono" rows={4} spellCheck={false} value={rule} onChange={(e) => { setRule(e.target.value); setError(undefined); }} />
        </Field>
        <label className="toggle">
          <input type="checkbox" name="catch_up" checked={catchUp} onChange={(e) => setCatchUp(e.target.checked)} />
          <span><strong>Catch up</strong> When occurrences were missed (no Barge engine was running), run once as soon as it is back.</span>
        </label>
      </form>
    </Modal>
  );
}
