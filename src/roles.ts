/**
 * `barge dispatcher` and `barge mover`: the engine's two roles as processes of their own, on any host
 * that reaches the store (issue #10). A dispatcher walks, plans and finalizes (one active per store
 * through the engine lease; others stand by and take over). A mover claims batches and moves files;
 * any number run, each reaching the storages it declares. They share nothing but the store.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { loadConfigOrExit, type Config } from './config/config.js';
import { openStore, type Store } from './store/db.js';
import { systemClock } from './lib/clock.js';
import { createLogger } from './lib/logger.js';
import { engineParts, scheduleWork, taskCallbacks, webhookHooks, tapeWork } from './compose-engine.js';
import { defaultEngineConfig, leaseTimes } from './engine/in-process.js';
import { Dispatcher } from './engine/dispatcher/dispatcher.js';
import { Mover } from './engine/mover/mover.js';
import { MoverContexts } from './engine/mover/mover-contexts.js';
import { MoverReach } from './engine/mover/reach.js';
import { MoverPresence } from './engine/mover/presence.js';
import { LaneConsumers } from './engine/mover/lane-consumers.js';
import { checkRedis } from './engine/queue/bullmq-transport.js';
import { moverRegistry, serveMetrics } from './engine/mover/metrics.js';
import type { AddressInfo } from 'node:net';

/** How often a mover looks again at what it reaches (new shares, mounts that came or went). */
const REACH_REFRESH_MS = 30_000;

type Env = Record<string, string | undefined>;

/** Config and store, or a one-line reason and a non-zero exit. */
async function boot(env: Env, role: string): Promise<{ config: Config; store: Store; log: Logger }> {
  const config = loadConfigOrExit(env);
  const log = createLogger(config.logLevel).child({ role });
  if (config.redisUrl) {
    try {
      await checkRedis(config.redisUrl);
    } catch (err) {
      console.error(`barge ${role}: cannot reach Redis (BARGE_REDIS_URL): ${(err as Error).message}`);
      process.exit(1);
    }
  }
  try {
    const store = await openStore(config.database);
    return { config, store, log };
  } catch (err) {
    console.error(`barge ${role}: cannot open the store (${config.database.kind === 'postgres' ? 'BARGE_DATABASE_URL' : config.database.file}): ${(err as Error).message}`);
    process.exit(1);
  }
}

/** Keeps the process alive (the roles' own timers do not) until a signal stops it. */
function onStop(stop: (signal: string) => Promise<void>): void {
  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    void stop(signal).then(() => process.exit(0), (err) => {
      console.error(err);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

export async function dispatcherMain(env: Env = process.env): Promise<void> {
  const { config, store, log } = await boot(env, 'dispatcher');
  const parts = engineParts(config, store, log);
  const name = config.moverName ?? `${hostname()}:${process.pid}`;
  const cfg = defaultEngineConfig({ name, embedded: false, ...leaseTimes(config.leaseSeconds) });
  const dispatcher = new Dispatcher(cfg, parts.executions, parts.queue, parts.ledger, parts.resolver, parts.lease, systemClock, log, {
    access: parts.access, moverDirectory: parts.moverDirectory, transport: parts.transport,
    webhooks: webhookHooks(config, store, systemClock, log), schedules: scheduleWork(config, store, systemClock, log), callbacks: taskCallbacks(store, log),
    tape: tapeWork(store, parts.resolver, systemClock, log, cfg),
  });
  await dispatcher.start();
  process.stdout.write(`Barge dispatcher ${name} started (store: ${config.database.kind === 'sqlite' ? config.database.file : 'PostgreSQL'}); ${dispatcher.isActive ? 'it holds the engine lease' : 'standing by: another dispatcher holds the engine lease'}\n`);
  onStop(async (signal) => {
    log.info({ signal }, 'dispatcher stopping');
    await dispatcher.stop();
    await parts.transport?.close();
    await parts.resolver.close();
    await store.close();
  });
}

export async function moverMain(env: Env = process.env): Promise<void> {
  const { config, store, log } = await boot(env, 'mover');
  const parts = engineParts(config, store, log);
  const name = config.moverName ?? `${hostname()}:${process.pid}`;
  const d = defaultEngineConfig({ name, slots: config.moverSlots, ...leaseTimes(config.leaseSeconds) });
  const reach = new MoverReach(config.moverStorages, { shares: parts.shares, buckets: parts.buckets }, log);
  await reach.refresh();
  const contexts = new MoverContexts(parts.executions, parts.ledger, parts.resolver, log, name, (ids) => reach.reaches(ids));
  const mover = new Mover(
    { owner: name, slots: d.slots, smallPerSlot: d.smallPerSlot, leaseMs: d.leaseMs, heartbeatMs: d.moverHeartbeatMs, attempts: d.fileAttempts, backoffMs: d.backoffMs },
    parts.queue, parts.ledger, contexts, systemClock, log, undefined, parts.permits,
  );
  const presence = new MoverPresence(parts.movers, { name, slots: d.slots }, () => mover.totals, systemClock, log);
  await presence.start(reach.storages);
  reach.onChange = (now) => void presence.reach(now);
  // With BullMQ batches are delivered per lane; without, the mover claims them from the store.
  const lanes = parts.transport
    ? new LaneConsumers({ owner: name, leaseMs: d.leaseMs, concurrency: d.slots }, parts.transport, parts.queue, parts.executions, contexts, mover, systemClock, log)
    : undefined;
  mover.start({ pull: lanes === undefined });
  lanes?.start();
  const metrics = config.metricsPort !== undefined ? await serveMetrics(moverRegistry(mover, name), config.host, config.metricsPort) : undefined;
  const metricsAt = metrics ? ` metrics on http://${config.host}:${(metrics.address() as AddressInfo).port}/metrics;` : '';
  const refresher = setInterval(() => void reach.refresh().catch((err) => log.warn({ err }, 'reach refresh failed')), REACH_REFRESH_MS);
  refresher.unref();
  const reached = reach.storages.map((s) => s.name);
  process.stdout.write(`Barge mover ${name} started: ${d.slots} slots, batches ${lanes ? 'from BullMQ (Redis)' : 'from the store'};${metricsAt} reaches ${reached.length > 0 ? reached.join(', ') : 'no storage yet'} (store: ${config.database.kind === 'sqlite' ? config.database.file : 'PostgreSQL'})\n`);
  onStop(async (signal) => {
    // SIGTERM: no new batch; files in flight finish (up to BARGE_MOVER_DRAIN_SECONDS); the rest goes back to the queue.
    log.info({ signal, drainSeconds: config.moverDrainSeconds }, 'mover draining');
    clearInterval(refresher);
    await presence.set('draining');
    await Promise.all([lanes?.stop(), mover.stop(config.moverDrainSeconds * 1000)]);
    await presence.set('offline');
    metrics?.close();
    await parts.transport?.close();
    await parts.resolver.close();
    await store.close();
  });
}
