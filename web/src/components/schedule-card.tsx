/**
 * A task's schedule on its page: the rule in words with its zone ("every weekday at 02:00,
 * Europe/Brussels"), the next five occurrences in that zone, what was missed, skipped or refused and
 * why, and the editor to set, change or remove it. A task without a schedule (the API's 404) says so.
 */
import { useState, type ReactNode } from 'react';
import { del, get } from '../lib/api';
import { ApiError } from '../lib/errors';
import { useAsync, useInterval } from '../lib/hooks';
import { Link } from '../lib/router';
import { formatInZone, type Schedule } from '../lib/schedule';
import { ScheduleEditor } from './schedule-editor';
import { Button, Card, ErrorBanner, Facts, Modal, RelativeTime } from './ui';

/** How often a live schedule is read again (its counters move as occurrences come). */
export const SCHEDULE_REFRESH_MS = 5000;

async function load(taskId: string, signal: AbortSignal): Promise<Schedule | null> {
  try {
    return await get<Schedule>(`/tasks/${encodeURIComponent(taskId)}/task_schedule`, signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** What the card says of a schedule, line by line. */
function facts(s: Schedule): Array<[string, ReactNode]> {
  const items: Array<[string, ReactNode]> = [
    ['Runs', <span data-schedule-description>{s.description ?? s.rrule}</span>],
    ['Next', s.done
      ? <span className="muted">Done: the rule has no occurrence left</span>
      : <ol className="plain" aria-label="Next occurrences">{(s.upcoming ?? []).map((d) => <li key={d}>{formatInZone(d, s.time_zone)}</li>)}</ol>],
    ['Catch up', s.catch_up ? 'Yes: missed occurrences run once when the engine is back' : 'No'],
    ['Missed', s.missed_count ? <>{s.missed_count} (no engine was running){s.missed_last ? <> · last <RelativeTime iso={s.missed_last} /></> : null}</> : '0'],
    ['Skipped', s.skipped_count ? `${s.skipped_count} (the previous run was still going)` : '0'],
  ];
  if (s.refused_count) items.push(['Refused', <>{s.refused_count}{s.last_error ? <>: <span className="text-red">{s.last_error}</span></> : null}</>]);
  if (s.last_execution_id) items.push(['Last scheduled run', <Link to={`/executions/${s.last_execution_id}`}><RelativeTime iso={s.last_run_at} /></Link>]);
  items.push(['Rule', <code className="rrule">{s.rrule}</code>]);
  return items;
}

export function ScheduleCard({ taskId, onRun }: { taskId: string; onRun?: () => void }) {
  const schedule = useAsync((signal) => load(taskId, signal), [taskId]);
  const [editing, setEditing] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [error, setError] = useState<ApiError>();
  const s = schedule.data;
  useInterval(() => { schedule.reload(); onRun?.(); }, SCHEDULE_REFRESH_MS, Boolean(s && !s.done));

  async function remove() {
    try {
      await del(`/tasks/${encodeURIComponent(taskId)}/task_schedule`);
      setRemoving(false);
      schedule.reload();
    } catch (err) {
      setRemoving(false);
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    }
  }

  const actions = s
    ? <><Button onClick={() => setEditing(true)}>Edit schedule</Button><Button variant="ghost" className="text-red" onClick={() => setRemoving(true)}>Remove</Button></>
    : s === null ? <Button onClick={() => setEditing(true)}>Set a schedule</Button> : undefined;
  return (
    <Card title="Schedule" actions={actions} className="schedule-card">
      <ErrorBanner error={error ?? schedule.error} title="Schedule" onDismiss={error ? () => setError(undefined) : undefined} />
      {s === null && <p className="muted pad">No schedule: this task runs when started by hand.</p>}
      {s && <Facts items={facts(s)} />}
      <ScheduleEditor taskId={taskId} current={s ?? undefined} open={editing} onClose={() => setEditing(false)} onSaved={() => { setEditing(false); schedule.reload(); }} />
      <Modal
        title="Remove the schedule?"
        open={removing}
        onClose={() => setRemoving(false)}
        footer={<><Button onClick={() => setRemoving(false)}>Cancel</Button><Button variant="danger" onClick={() => void remove()}>Remove schedule</Button></>}
      >
        <p>The task stays; it no longer runs by itself.</p>
      </Modal>
    </Card>
  );
}
