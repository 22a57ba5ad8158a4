/**
 * Run / pause / resume / stop / force stop for one task, each enabled per the latest execution's
 * status. Refusals (`data_management_error`, e.g. 409 "already paused") are shown as the API words
 * them. Force stop asks first: it abandons the files in flight.
 */
import { useState } from 'react';
import { put } from '../lib/api';
import { actionAllowed, type TaskAction } from '../lib/actions';
import { ApiError } from '../lib/errors';
import { navigate } from '../lib/router';
import { Button, ErrorBanner, Modal } from './ui';

interface Props {
  taskId: string;
  status: string | null | undefined;
  /** Called after an accepted action (the page reloads what it shows). */
  onDone: (action: TaskAction, executionId?: string) => void;
  /** Open the live view after a run (default true). */
  followRun?: boolean;
}

const LABEL: Record<TaskAction, string> = { run: 'Run', pause: 'Pause', resume: 'Resume', stop: 'Stop', force_stop: 'Force stop' };

export function TaskActions({ taskId, status, onDone, followRun = true }: Props) {
  const [busy, setBusy] = useState<TaskAction>();
  const [error, setError] = useState<ApiError>();
  const [confirmForce, setConfirmForce] = useState(false);

  async function act(action: TaskAction) {
    setBusy(action);
    setError(undefined);
    try {
      const r = await put<{ execution_id?: string }>(`/tasks/${encodeURIComponent(taskId)}/action/${action}`, action === 'run' ? {} : undefined);
      onDone(action, r?.execution_id);
      if (action === 'run' && followRun && r?.execution_id) navigate(`/executions/${r.execution_id}`);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(undefined);
    }
  }

  const button = (action: TaskAction, variant: 'primary' | 'secondary' | 'danger' = 'secondary') => (
    <Button variant={variant} disabled={!actionAllowed(action, status) || busy !== undefined} busy={busy === action} onClick={() => (action === 'force_stop' ? setConfirmForce(true) : act(action))} data-action={action}>
      {LABEL[action]}
    </Button>
  );

  return (
    <div className="task-actions">
      <div className="btn-group">
        {button('run', 'primary')}
        {button('pause')}
        {button('resume')}
        {button('stop')}
        {button('force_stop', 'danger')}
      </div>
      <ErrorBanner error={error} title="The action was refused" onDismiss={() => setError(undefined)} />
      <Modal
        title="Force stop this execution?"
        open={confirmForce}
        onClose={() => setConfirmForce(false)}
        footer={
          <>
            <Button onClick={() => setConfirmForce(false)}>Cancel</Button>
            <Button variant="danger" onClick={() => { setConfirmForce(false); void act('force_stop'); }}>Force stop</Button>
          </>
        }
      >
        <p>Files being transferred right now are abandoned; files already verified stay at the destination. Use <strong>Stop</strong> to let the current files finish.</p>
      </Modal>
    </div>
  );
}
