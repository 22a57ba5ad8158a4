/**
 * Names the calling thread for the operating system (`/proc/<pid>/task/<tid>/comm`, shown by `top -H`,
 * `perf`, and read by bench/lib/rss.ts). Why: Node names every thread it starts `node`, so the CPU of
 * the engine thread, the copy workers and the API's event loop could not be told apart from outside
 * the process; where the microseconds of a copy go is measured per thread name. Linux only (through
 * `/proc/thread-self/comm`, no native code); elsewhere, or when /proc is not writable, it does nothing.
 * The kernel keeps the first 15 bytes.
 */
import { writeFileSync } from 'node:fs';

export function nameThisThread(name: string): void {
  if (process.platform !== 'linux') return;
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // not allowed here (a restricted /proc): the name is only a diagnostic
  }
}
