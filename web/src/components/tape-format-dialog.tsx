/**
 * Format a cartridge from the Tape page. In Nodeum (and Barge) a tape action is a task, not a
 * button on the cartridge: `format` is a workflow action with `options.barcodes`. So the dialog
 * creates a one-off maintenance task for this cartridge, runs it and opens the execution, where the
 * engine's notes say what was erased. A cartridge holding sessions needs "Erase its data" ticked —
 * the engine refuses it otherwise (`overwrite: true`), so the dialog asks first rather than letting
 * the run fail. Why a new task per format and not a shared one: its name and history then say which
 * cartridge was erased and when.
 */
import { useEffect, useState } from 'react';
import { post, put } from '../lib/api';
import { ApiError } from '../lib/errors';
import { navigate } from '../lib/router';
import type { Tape } from '../lib/tape-types';
import { Button, ErrorBanner, Modal } from './ui';

/** Why a cartridge cannot be formatted from here, or undefined when it can. */
export function formatBlocker(t: Pick<Tape, 'location' | 'write_protect' | 'ejected'>): string | undefined {
  if (t.ejected || t.location === 'offline' || t.location === 'mailslot') return 'Out of the library: import it first';
  if (t.write_protect) return 'Write protected: clear the tab first';
  return undefined;
}

/** The body of the task that formats `barcode` (exported for its test). */
export function formatTaskBody(barcode: string, overwrite: boolean, at: Date): Record<string, unknown> {
  return {
    name: `Format ${barcode} ${at.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    comment: 'Created by the console\'s Format action',
    workflow_type: 'maintenance',
    workflow_action: 'format',
    options: { barcodes: [barcode], ...(overwrite ? { overwrite: true } : {}) },
  };
}

export function FormatDialog({ tape, onClose }: { tape: Tape | null; onClose: () => void }) {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [erase, setErase] = useState(false);
  useEffect(() => {
    setError(undefined);
    setErase(false);
  }, [tape]);
  const holdsData = (tape?.sessions ?? 0) > 0;
  async function go() {
    if (!tape) return;
    setBusy(true);
    try {
      const task = await post<{ id: string }>('/tasks', formatTaskBody(tape.barcode, holdsData && erase, new Date()));
      const run = await put<{ execution_id: string }>(`/tasks/${encodeURIComponent(task.id)}/action/run`, {});
      onClose();
      navigate(`/executions/${run.execution_id}`);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal title={`Format ${tape?.barcode ?? ''}?`} open={tape !== null} onClose={onClose}
      footer={<><Button onClick={onClose}>Cancel</Button><Button variant="danger" busy={busy} disabled={holdsData && !erase} onClick={go}>Format</Button></>}>
      <ErrorBanner error={error} title="Not formatted" />
      <p>The cartridge is loaded in a free drive and rewritten blank. A task named after it runs the format; its execution page opens.</p>
      {holdsData && (
        <label className="toggle">
          <input type="checkbox" name="overwrite" checked={erase} onChange={(e) => setErase(e.target.checked)} />
          <span><strong>Erase its data</strong> It holds {tape?.sessions} write session{tape?.sessions === 1 ? '' : 's'}. Files whose only copy is on it are lost; the catalog forgets them.</span>
        </label>
      )}
    </Modal>
  );
}
