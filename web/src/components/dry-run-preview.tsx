/**
 * The task's "Preview" (issue #11): a dry run that plans the task against its destination and writes
 * nothing, shown in a dialog — what each file would become (copy, move, rename, overwrite, skip,
 * erase), the totals and the ETA measured on earlier runs of the same storages. The dry run is an
 * execution like any other (it appears in the history, marked as a preview).
 */
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../lib/errors';
import { previewTask, PREVIEW_ROWS, type PlanExecution, type PlannedFile } from '../lib/dry-run';
import { formatBytes, formatCount, formatDuration, formatRate, humanize } from '../lib/format';
import { Link, setSearch } from '../lib/router';
import { Badge, Button, ErrorBanner, Facts, Loading, Modal, StatusBadge, type Tone } from './ui';

const OPERATION_TONE: Record<string, Tone> = { copy: 'blue', move: 'indigo', rename: 'amber', overwrite: 'orange', skip: 'gray', erase: 'red', fail: 'red' };

interface Result {
  execution: PlanExecution;
  files: PlannedFile[];
  count: number;
}

function Totals({ e }: { e: PlanExecution }) {
  const p = e.plan;
  if (!p) return <p className="muted">No plan was recorded ({humanize(e.status)}{e.error ? `: ${e.error}` : ''}).</p>;
  const ops = Object.entries(p.operations ?? {});
  const eta = p.eta_seconds === null || p.eta_seconds === undefined ? <>Unknown <span className="muted">— {p.eta_note}</span></> : <>{formatDuration(p.eta_seconds)} <span className="muted">— {p.eta_note}{p.bandwidth ? `, ${formatRate(p.bandwidth)}` : ''}</span></>;
  return (
    <Facts items={[
      ['Status', <StatusBadge status={e.status} />],
      [e.task?.workflow_action === 'erase' ? 'Would erase' : 'Would write', <span data-testid="plan-totals">{formatCount(p.files)} files · {formatBytes(p.bytes)}</span>],
      ['Skipped', formatCount(p.skipped)],
      ['Failed', p.failed ? <span className="text-red">{formatCount(p.failed)}</span> : '0'],
      ['Operations', ops.length ? <span className="btn-group">{ops.map(([op, t]) => <Badge key={op} tone={OPERATION_TONE[op] ?? 'gray'}>{humanize(op)} {formatCount(t?.files)} · {formatBytes(t?.bytes)}</Badge>)}</span> : <span className="muted">Nothing to do</span>],
      ['Estimated time', <span data-testid="plan-eta">{eta}</span>],
    ]} />
  );
}

function PlannedTable({ files, count }: { files: PlannedFile[]; count: number }) {
  if (count === 0) return <p className="muted pad">No file to plan.</p>;
  return (
    <div className="table-scroll">
      <table className="table" aria-label="Planned operations">
        <thead><tr><th>Operation</th><th>Size</th><th>Source</th><th>Destination</th><th>Note</th></tr></thead>
        <tbody>
          {files.map((f) => (
            <tr key={f.item_key} data-operation={f.operation ?? f.status}>
              <td><Badge tone={OPERATION_TONE[f.operation ?? ''] ?? 'gray'}>{humanize(f.operation ?? f.status ?? '')}</Badge></td>
              <td>{formatBytes(f.size)}</td>
              <td>{f.src_path}</td>
              <td>{f.dst_path ?? '—'}</td>
              <td className="muted">{f.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {files.length < count && <p className="muted pad">The first {PREVIEW_ROWS} of {formatCount(count)} planned files; the execution lists them all.</p>}
    </div>
  );
}

/** `autoStart`: run the preview once on mount (the editor's "Save and preview" lands here with `?preview=1`). */
export function DryRunPreview({ taskId, disabled, onStarted, autoStart }: { taskId: string; disabled?: boolean; onStarted?: () => void; autoStart?: boolean }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<PlanExecution>();
  const [result, setResult] = useState<Result>();
  const [error, setError] = useState<ApiError>();
  const closed = useRef(false);
  useEffect(() => () => void (closed.current = true), []);

  async function preview() {
    closed.current = false;
    setOpen(true);
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    setProgress(undefined);
    try {
      const r = await previewTask(taskId, (e) => { if (!closed.current) setProgress(e); }, () => closed.current);
      onStarted?.();
      if (r && !closed.current) setResult(r);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  }

  function close() {
    closed.current = true;
    setOpen(false);
  }

  useEffect(() => {
    if (!autoStart || disabled) return;
    setSearch({ preview: null }); // once: a reload of the page does not preview again
    void preview();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- on mount only
  }, []);

  return (
    <>
      <Button onClick={preview} disabled={disabled || busy} busy={busy} title="Plan this task against its destination without writing anything" data-action="dry_run">Preview</Button>
      <Modal title="Preview of a run" open={open} onClose={close} className="modal-wide"
        footer={<>{result && <Link to={`/executions/${result.execution.id}`}>Open the execution →</Link>}<Button onClick={close}>Close</Button></>}>
        <ErrorBanner error={error} title="The preview was refused" />
        {!result && !error && <Loading label={progress ? `Planning… ${formatCount(progress.nodes_todo)} files so far` : 'Planning…'} />}
        {result && (
          <>
            <p className="muted">A dry run: the task was planned against its destination; nothing was written, moved or erased.</p>
            <Totals e={result.execution} />
            <PlannedTable files={result.files} count={result.count} />
          </>
        )}
      </Modal>
    </>
  );
}
