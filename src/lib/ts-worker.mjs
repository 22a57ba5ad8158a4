// Runs a TypeScript module in a worker thread, from the sources (tests, `barge serve` through tsx):
// Node 20 workers ignore `--import tsx`, so the thread registers tsx itself, then imports the module
// named in workerData.entry. The compiled server never uses this file.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
