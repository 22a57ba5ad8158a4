/**
 * The composition root of the engine's roles: everything a dispatcher or a mover needs, built from
 * the configuration and an open store. Used by the server (the engine inline in tests, or in its own
 * thread for `npm start`: engine-thread.ts) and, as they come, by `barge dispatcher` / `barge mover`
 * on other hosts. Only this file and compose.ts know the concrete classes.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import type { Store } from './store/db.js';
import type { Clock } from './lib/clock.js';
import { loadOrCreateKey } from './lib/key-file.js';
import { SecretBox } from './lib/secret-box.js';
import { ExecutionRepository } from './store/execution-repository.js';
import { UserRepository } from './store/user-repository.js';
import { RegistryRepository } from './store/registry-repository.js';
import { TapeCacheRepository } from './store/tape-cache-repository.js';
import { PrivilegeRepository } from './store/privilege-repository.js';
import { SqlWorkQueue } from './store/work-queue-repository.js';
import { LedgerRepository } from './store/ledger-repository.js';
import { SqlEngineLease } from './store/engine-lease-repository.js';
import type { CloudBucketRow, CloudConnectorRow, ExecutionRow, NasShareRow, TaskRow } from './store/schema.js';
import { AccessService, snapshotShape } from './services/access-service.js';
import { bucketDriver, connectorCredentials } from './services/bucket-config.js';
import { credentialSwitchBlocker } from './storage/posix/fs-credentials.js';
import { ShareResolver, type BucketTarget } from './engine/share-resolver.js';
import { InProcessEngine, defaultEngineConfig, leaseTimes, type EngineConfig } from './engine/in-process.js';
import { createDriver } from './storage/registry.js';
import { MoverRepository } from './store/mover-repository.js';
import { PermitRepository } from './store/permit-repository.js';
import { BullmqTransport } from './engine/queue/bullmq-transport.js';
import type { AccessGuard } from './engine/dispatcher/access-guard.js';
import type { MoverDirectory } from './engine/dispatcher/dispatcher.js';
import { configureSharedCopyPool } from './storage/posix/shared-copy-pool.js';
import { WebhookRepository } from './store/webhook-repository.js';
import { executionView } from './services/views.js';
import { WebhookOutbox } from './engine/webhooks/outbox.js';
import { WebhookSender } from './engine/webhooks/sender.js';
import { postWebhook } from './engine/webhooks/http-post.js';
import { BACKOFF_CAP_MS } from './engine/webhooks/backoff.js';
import { Webhooks } from './engine/webhooks/webhooks.js';
import { TaskRepository } from './store/task-repository.js';
import { ScheduleRepository } from './store/schedule-repository.js';
import { RunLauncher } from './services/run-launcher.js';
import { ScheduleRunner } from './services/schedule-runner.js';
import { driverKinds } from './storage/registry.js';
import { CallbackRepository } from './store/callback-repository.js';
import { ExecutionCallbacks } from './engine/callbacks/execution-callbacks.js';
import { TapeRunner } from './engine/tape/tape-run.js';
import { TapeLibraries } from './engine/tape/tape-libraries.js';
import { tapeActionLookup } from './services/tape-action-check.js';
import { TapeRepository } from './store/tape-repository.js';
import { TapeFileRepository } from './store/tape-file-repository.js';

/**
 * The secret-box key every Barge process of a store shares (it unseals connector secrets):
 * `BARGE_SECRET_KEY`, else `keys/secret-box.key` of the data dir (created on first start).
 */
export function secretBox(config: Config): SecretBox {
  return new SecretBox(config.secretKey ?? loadOrCreateKey(join(config.dataDir, 'keys', 'secret-box.key')));
}

/**
 * How a process opens storages from their rows: NAS shares as posix drivers at their path, cloud
 * buckets as drivers of their connector's kind (s3, azure) with its unsealed credentials. The engine resolves task
 * endpoints with it; the API browses storages with its own (`GET /nas_shares/{id}/files`), so both
 * see a storage through the same driver and the same confinement.
 */
export function storageResolver(store: Store, secrets: SecretBox): ShareResolver {
  const repo = (table: 'nas_shares' | 'cloud_buckets' | 'cloud_connectors') => new RegistryRepository<any>(store.db, store.dialect, table);
  const shares = repo('nas_shares');
  const buckets = repo('cloud_buckets');
  const connectors = repo('cloud_connectors');
  /** A bucket's driver (by its connector's provider) and config: the connector's endpoint and (unsealed) credentials, plus bucket options. */
  const bucketTarget = async (b: CloudBucketRow | undefined): Promise<BucketTarget | undefined> => {
    if (!b) return undefined;
    const conn = (await connectors.findById(b.cloud_connector_id)) as CloudConnectorRow | undefined;
    if (!conn) return undefined;
    return { id: b.id, version: `${b.updated_at}|${conn.updated_at}`, ...bucketDriver(b, connectorCredentials(conn, secrets)) };
  };
  return new ShareResolver({
    share: async (id) => (await shares.findById(id)) as NasShareRow | undefined,
    poolShares: async (poolId) => (await shares.all({ pool_id: poolId })) as NasShareRow[],
    bucket: async (id) => bucketTarget((await buckets.findById(id)) as CloudBucketRow | undefined),
    poolBuckets: async (poolId) => {
      const rows = (await buckets.all({ pool_id: poolId })) as CloudBucketRow[];
      return (await Promise.all(rows.map(bucketTarget))).filter((b): b is BucketTarget => b !== undefined);
    },
    openDriver: createDriver,
  });
}

/** What the engine's roles are built from, on `store`. */
export interface EngineParts {
  executions: ExecutionRepository;
  queue: SqlWorkQueue;
  ledger: LedgerRepository;
  resolver: ShareResolver;
  lease: SqlEngineLease;
  access: AccessGuard;
  movers: MoverRepository;
  /** Shares each execution's `parallel` between the movers. */
  permits: PermitRepository;
  /** What the dispatcher reads of movers, to say why a run waits. */
  moverDirectory: MoverDirectory;
  /** The shares of the store with their paths (a mover checks which it reaches). */
  shares: () => Promise<NasShareRow[]>;
  buckets: () => Promise<CloudBucketRow[]>;
  /** BullMQ on Redis when `BARGE_REDIS_URL` is set: batches travel through it to the movers. */
  transport: BullmqTransport | undefined;
}

export function engineParts(config: Config, store: Store, log?: Logger): EngineParts {
  configureSharedCopyPool({ workers: config.copyWorkers, syncfs: config.posixSyncfs, nativeCopy: config.nativeCopy, nice: config.copyNice });
  const { db, dialect } = store;
  const secrets = secretBox(config);
  const executions = new ExecutionRepository(db, dialect);
  const repo = (table: 'nas_shares' | 'cloud_buckets' | 'pools') => new RegistryRepository<any>(db, dialect, table);
  const guarded = { nas_shares: repo('nas_shares'), cloud_buckets: repo('cloud_buckets'), pools: repo('pools') };
  const access = new AccessService(new PrivilegeRepository(db, dialect), new UserRepository(db, dialect), guarded, executions);
  const movers = new MoverRepository(db, dialect);
  const resolver = storageResolver(store, secrets);
  return {
    executions, queue: new SqlWorkQueue(db, dialect), ledger: new LedgerRepository(db, dialect, store.sqlite), resolver,
    lease: new SqlEngineLease(db), movers, permits: new PermitRepository(db, dialect),
    moverDirectory: {
      live: (since) => movers.live(since),
      storageNames: async (ids) => {
        const out = new Map<string, string>();
        for (const id of ids) {
          const row = ((await guarded.nas_shares.findById(id)) ?? (await guarded.cloud_buckets.findById(id))) as { name: string } | undefined;
          if (row) out.set(id, row.name);
        }
        return out;
      },
    },
    access: { refusal: (row) => access.refusal(row.user_id, snapshotShape(row)) },
    transport: config.redisUrl && log ? new BullmqTransport({ url: config.redisUrl, prefix: config.redisPrefix, lockMs: config.leaseSeconds * 1000 }, log) : undefined,
    shares: async () => (await guarded.nas_shares.all()) as NasShareRow[],
    buckets: async () => (await guarded.cloud_buckets.all()) as CloudBucketRow[],
  };
}

/**
 * Webhook deliveries for the dispatcher of this process (it runs them while it holds the lease): the
 * outbox builds each body with the API's execution view, the sender posts through the allow-list.
 */
export function webhookHooks(config: Config, store: Store, clock: Clock, log: Logger): Webhooks {
  const repo = new WebhookRepository(store.db, store.dialect);
  const view = (row: ExecutionRow) => {
    const task = JSON.parse(row.task_snapshot || '{}') as Partial<Pick<TaskRow, 'id' | 'name' | 'workflow_type' | 'workflow_action'>>;
    return executionView(row, task.name === undefined ? undefined : { id: row.task_id, name: task.name, workflow_type: task.workflow_type ?? '', workflow_action: task.workflow_action ?? '' });
  };
  const sender = new WebhookSender(repo, postWebhook, secretBox(config), clock, log, {
    policy: { baseMs: config.webhookBackoffMs, capMs: BACKOFF_CAP_MS, windowMs: config.webhookRetrySeconds * 1000 },
    timeoutMs: config.webhookTimeoutSeconds * 1000, allow: config.webhookAllow, concurrency: 8,
  });
  return new Webhooks(new WebhookOutbox(repo, view, clock, log), sender, repo, clock, log);
}

/** The kinds of endpoint this build can move data on: a kind is runnable only if its driver is registered. */
export function runnableKinds(): Set<string> {
  const drivers = driverKinds();
  return new Set<string>([...(drivers.includes('posix') ? ['nas'] : []), ...(drivers.includes('s3') ? ['cloud'] : [])]);
}

/**
 * Schedules for the dispatcher of this process: due occurrences start executions checked and built
 * as the API's `run` does (RunLauncher), with the owner's rights of that moment.
 */
export function scheduleWork(config: Config, store: Store, clock: Clock, log: Logger): ScheduleRunner {
  const { db, dialect } = store;
  const executions = new ExecutionRepository(db, dialect);
  const repo = (table: 'nas_shares' | 'cloud_buckets' | 'pools') => new RegistryRepository<any>(db, dialect, table);
  const access = new AccessService(new PrivilegeRepository(db, dialect), new UserRepository(db, dialect), { nas_shares: repo('nas_shares'), cloud_buckets: repo('cloud_buckets'), pools: repo('pools') }, executions);
  const tasks = new TaskRepository(db, dialect);
  const launcher = new RunLauncher(tasks, executions, access, clock, runnableKinds(), credentialSwitchBlocker, { ...tapeActionLookup(new TapeRepository(db, dialect), new UserRepository(db, dialect)), findShare: (id: string) => repo('nas_shares').findById(id) });
  return new ScheduleRunner(new ScheduleRepository(db, dialect), tasks, launcher, log.child({ component: 'schedules' }), { graceMs: config.scheduleGraceSeconds * 1000 });
}

/**
 * Task callbacks for the dispatcher of this process: scripts read from the store, compiled in a
 * sandbox per execution; hooks get the execution's API view.
 */
export function taskCallbacks(store: Store, log: Logger): ExecutionCallbacks {
  const { db, dialect } = store;
  const callbacks = new CallbackRepository(db, dialect);
  const executions = new ExecutionRepository(db, dialect);
  const ledger = new LedgerRepository(db, dialect);
  const view = (row: ExecutionRow) => {
    const task = JSON.parse(row.task_snapshot || '{}') as Partial<Pick<TaskRow, 'name' | 'workflow_type' | 'workflow_action'>>;
    return executionView(row, task.name === undefined ? undefined : { id: row.task_id, name: task.name, workflow_type: task.workflow_type ?? '', workflow_action: task.workflow_action ?? '' });
  };
  return new ExecutionCallbacks({
    forTask: (taskId, types) => callbacks.forTask(taskId, types),
    doneBatches: (id, after, limit) => callbacks.doneBatches(id, after, limit),
    forKeys: (id, keys) => ledger.forKeys(id, keys),
    findExecution: (id) => executions.findById(id),
    appendLog: async (id, lines) => {
      const row = await executions.findById(id);
      if (row) await executions.update(id, { log: JSON.stringify([...(JSON.parse(row.log || '[]') as string[]), ...lines]) });
    },
  }, view, log.child({ component: 'callbacks' }));
}

/**
 * Tape executions (archive, restore) for the dispatcher of this process: the libraries it operates
 * (one object per library in the process holding the lease) and the store's tape catalog.
 */
export function tapeWork(store: Store, resolver: ShareResolver, clock: Clock, log: Logger, cfg: { name: string; batchFiles: number; batchBytes: number }): TapeRunner {
  const { db, dialect } = store;
  const tapes = new TapeRepository(db, dialect);
  const libraries = new TapeLibraries({
    unloaded: async (_libraryId, barcode, slot) => {
      const t = await tapes.findTapeByBarcode(barcode);
      if (t) await tapes.updateTape(t.id, { location: 'slot', location_index: slot < 0 ? null : slot, mounted: 0, updated_at: clock.now().toISOString() });
    },
  }, log.child({ component: 'tape' }), () => clock.now());
  return new TapeRunner(cfg, {
    tapes, files: new TapeFileRepository(db), cache: new TapeCacheRepository(db), executions: new ExecutionRepository(db, dialect), ledger: new LedgerRepository(db, dialect, store.sqlite), clock, log: log.child({ component: 'tape' }),
  }, libraries, resolver);
}

/** A dispatcher and a mover for this process, on `store`. */
export function createEngine(config: Config, store: Store, clock: Clock, logger: Logger, overrides: Partial<EngineConfig> = {}): InProcessEngine {
  const p = engineParts(config, store, logger);
  return new InProcessEngine(defaultEngineConfig({ slots: config.moverSlots, ...leaseTimes(config.leaseSeconds), ...overrides }), {
    executions: p.executions, queue: p.queue, ledger: p.ledger, resolver: p.resolver, lease: p.lease, clock, log: logger, access: p.access,
    movers: p.movers, moverDirectory: p.moverDirectory, transport: p.transport, permits: p.permits,
    webhooks: webhookHooks(config, store, clock, logger),
    schedules: scheduleWork(config, store, clock, logger),
    callbacks: taskCallbacks(store, logger),
    tape: (cfg) => tapeWork(store, p.resolver, clock, logger, cfg),
  });
}
