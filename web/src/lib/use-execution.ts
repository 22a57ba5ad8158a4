/**
 * One execution, kept live: loaded once, then followed through the SSE endpoint while it is active
 * (`progress` snapshots feed the bandwidth chart, `state` changes the badge, `file_failed` adds to the
 * failures, `end` closes). If the stream breaks, it polls instead, so the page never freezes.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { get } from './api';
import { isActive } from './actions';
import { ApiError } from './errors';
import { streamEvents } from './sse';
import type { Execution } from './types';
import type { Sample } from '../components/bandwidth-chart';

export interface FailedFile {
  src_path: string;
  dst_path: string | null;
  error_class: string | null;
  error: string | null;
}

export interface LiveExecution {
  execution: Execution | undefined;
  error: ApiError | undefined;
  samples: Sample[];
  failures: FailedFile[];
  /** True while the event stream is connected. */
  live: boolean;
  /** Increments when the execution ends (for dependants to reload the ledger). */
  endCount: number;
  refresh: () => void;
}

const MAX_SAMPLES = 600;

export function useLiveExecution(id: string): LiveExecution {
  const [execution, setExecution] = useState<Execution>();
  const [error, setError] = useState<ApiError>();
  const [samples, setSamples] = useState<Sample[]>([]);
  const [failures, setFailures] = useState<FailedFile[]>([]);
  const [live, setLive] = useState(false);
  const [endCount, setEndCount] = useState(0);
  const [generation, setGeneration] = useState(0);
  const status = execution?.status;
  const streaming = useRef(false);
  const retry = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(retry.current), []);

  const refresh = useCallback(() => {
    get<Execution>(`/task_executions/${encodeURIComponent(id)}`).then(setExecution, (e: ApiError) => setError(e));
  }, [id]);

  useEffect(() => {
    setExecution(undefined);
    setSamples([]);
    setFailures([]);
    refresh();
  }, [id, refresh]);

  // Follow the stream while active; a resume after the stream ended (paused → in_progress) restarts it.
  const active = isActive(status);
  useEffect(() => {
    if (!active || streaming.current) return;
    const ctrl = new AbortController();
    streaming.current = true;
    setLive(true);
    streamEvents(`/task_executions/${encodeURIComponent(id)}/events`, (e) => {
      const data = e.data as Partial<Execution> & FailedFile;
      if (e.event === 'progress' || e.event === 'end') {
        setExecution((prev) => (prev ? { ...prev, ...data } : (data as Execution)));
        if (e.event === 'progress' && typeof data.bandwidth === 'number') {
          const sample = { t: Date.now(), bw: data.bandwidth };
          setSamples((s) => (s.length >= MAX_SAMPLES ? [...s.slice(1), sample] : [...s, sample]));
        }
        if (e.event === 'end') setEndCount((n) => n + 1);
      } else if (e.event === 'state') {
        setExecution((prev) => (prev ? { ...prev, status: data.status as Execution['status'], error: data.error ?? prev.error } : prev));
      } else if (e.event === 'file_failed') {
        setFailures((f) => (f.length > 500 ? f : [...f, data]));
      }
    }, ctrl.signal)
      .catch(() => undefined)
      .finally(() => {
        streaming.current = false;
        setLive(false);
        if (!ctrl.signal.aborted) {
          // Ended (normally with `end`) or broke: re-read, and reconnect a moment later if still active.
          refresh();
          retry.current = setTimeout(() => setGeneration((g) => g + 1), 1500);
        }
      });
    return () => {
      ctrl.abort();
      streaming.current = false;
    };
  }, [active, id, refresh, generation]);

  // Fallback: poll while active and not streaming (the stream failed or has not started).
  useEffect(() => {
    if (!active || live) return;
    const t = setInterval(refresh, 2000);
    return () => clearInterval(t);
  }, [active, live, refresh]);

  return { execution, error, samples, failures, live, endCount, refresh };
}
