/**
 * The composition root: the only place that knows every concrete part. Config → store → services →
 * HTTP server (and, later, the engine). Tests call `createBarge` with their own config to boot the
 * real thing in process.
 */
import { join } from 'node:path';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { openStore, type Store } from './store/db.js';
import { TaskRepository } from './store/task-repository.js';
import { ExecutionRepository } from './store/execution-repository.js';
import { UserRepository } from './store/user-repository.js';
import { DeferRepository } from './store/defer-repository.js';
import { RegistryRepository } from './store/registry-repository.js';
import { GenerationReader } from './store/generation-reader.js';
import { systemClock, type Clock } from './lib/clock.js';
import { loadOrCreateKey } from './lib/key-file.js';
import { privateDir } from './lib/private-files.js';
import { createLogger } from './lib/logger.js';
import { AuthService } from './services/auth-service.js';
import { UserService } from './services/user-service.js';
import { TaskService } from './services/task-service.js';
import { DEFAULT_TASK_LIST_CACHE, TaskListCache } from './services/task-list-cache.js';
import type { GenerationSource } from './services/generations.js';
import { ExecutionService } from './services/execution-service.js';
import { NO_ENGINE } from './engine/signals.js';
import { RegistryService } from './services/registry-service.js';
import { realProbes, type StorageProbes } from './storage/probes/probes.js';
import { buildServer } from './api/server.js';
import { SqlWorkQueue } from './store/work-queue-repository.js';
import { LedgerRepository } from './store/ledger-repository.js';
import type { EngineConfig } from './engine/in-process.js';
import { createEngine, runnableKinds, secretBox, storageResolver } from './compose-engine.js';
import { EngineThread } from './engine-host.js';
import type { EngineSignals } from './engine/signals.js';
import { credentialSwitchBlocker } from './storage/posix/fs-credentials.js';
import { ShareResolver } from './engine/share-resolver.js';
import { SqlEngineLease } from './store/engine-lease-repository.js';
import { createDriver } from './storage/registry.js';
import { configureSharedCopyPool } from './storage/posix/shared-copy-pool.js';
import type { CloudBucketRow, CloudConnectorRow, NasShareRow } from './store/schema.js';
import type { BucketTarget } from './engine/share-resolver.js';
import { bucketDriver } from './services/bucket-config.js';
import { buildOpenApiDocument } from './api/openapi/document.js';
import { taskHandlers } from './api/handlers/task-handlers.js';
import { userHandlers } from './api/handlers/user-handlers.js';
import { storageHandlers } from './api/handlers/storage-handlers.js';
import { metaHandlers } from './api/handlers/meta-handlers.js';
import { consolePlugin } from './api/console.js';
import { docsPage } from './api/docs-page.js';
import { PrivilegeRepository } from './store/privilege-repository.js';
import { GroupRepository } from './store/group-repository.js';
import { AccessService, snapshotShape } from './services/access-service.js';
import { PrivilegeService } from './services/privilege-service.js';
import { GroupService } from './services/group-service.js';
import { privilegeHandlers } from './api/handlers/privilege-handlers.js';
import { groupHandlers } from './api/handlers/group-handlers.js';
import { moverHandlers } from './api/handlers/mover-handlers.js';
import { MoverService } from './services/mover-service.js';
import { MoverRepository } from './store/mover-repository.js';
import { MetricsRepository } from './store/metrics-repository.js';
import { MetricsService } from './services/metrics-service.js';
import { metricsPlugin } from './api/metrics-plugin.js';
import { CatalogRepository } from './store/catalog-repository.js';
import { StatisticsRepository } from './store/statistics-repository.js';
import { BrowseService } from './services/browse-service.js';
import { CatalogService } from './services/catalog-service.js';
import { StatisticsService } from './services/statistics-service.js';
import { catalogHandlers } from './api/handlers/catalog-handlers.js';
import { scheduleHandlers } from './api/handlers/schedule-handlers.js';
import { ScheduleService } from './services/schedule-service.js';
import { ScheduleRepository } from './store/schedule-repository.js';
import { tapeHandlers } from './api/handlers/tape-handlers.js';
import { onTapesHandlers } from './api/handlers/on-tapes-handlers.js';
import { OnTapesFileService } from './services/on-tapes-file-service.js';
import { TapeFileRepository } from './store/tape-file-repository.js';
import { TapeRepository } from './store/tape-repository.js';
import { TapeLibraryService } from './services/tape-library-service.js';
import { TapeService } from './services/tape-service.js';
import { virtualLibraryFiles } from './storage/tape/virtual-library.js';
import { tapeEjectHandlers } from './api/handlers/tape-eject-handlers.js';
import { TapeEjectService } from './services/tape-eject-service.js';
import { TapeImportService } from './services/tape-import-service.js';
import { tapeActionLookup } from './services/tape-action-check.js';
import type { TapeCacheLookup } from './services/tape-cache-check.js';
import { taskSubHandlers } from './api/handlers/task-sub-handlers.js';
import { TaskOptionService } from './services/task-option-service.js';
import { TaskMetadataService } from './services/task-metadata-service.js';
import { WebhookRepository } from './store/webhook-repository.js';
import { WebhookDeliveryService } from './services/webhook-delivery-service.js';
import { webhookHandlers } from './api/handlers/webhook-handlers.js';
import { callbackHandlers } from './api/handlers/callback-handlers.js';
import { CallbackService } from './services/callback-service.js';
import { CallbackRepository } from './store/callback-repository.js';
import { ScriptChecker } from './engine/callbacks/script-check.js';
import { webhookTargetProblem } from './lib/webhook-target.js';

/** The engine as the server sees it: signals in, start and stop, whether it holds the lease. */
export interface EngineHandle extends EngineSignals {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly isActive: boolean;
}

export interface Barge {
  app: FastifyInstance;
  store: Store;
  logger: Logger;
  services: {
    users: UserService; tasks: TaskService; taskLists: TaskListCache; executions: ExecutionService; registry: RegistryService; auth: AuthService;
    generations: GenerationSource; access: AccessService; privileges: PrivilegeService; groups: GroupService;
  };
  /** The engine of this process, when `config.engine` is on: inline (tests) or in its own thread (`npm start`). */
  engine: EngineHandle | undefined;
  /** What first start did about the admin account (to print it once). */
  admin: { created: boolean; password?: string; generated: boolean };
  close(): Promise<void>;
}

export interface BargeOverrides {
  clock?: Clock;
  logger?: Logger;
  probes?: StorageProbes;
  engine?: Partial<EngineConfig>;
  /** Runs the engine in a worker thread, off the API's event loop (what `npm start` does). */
  engineThread?: boolean;
  /** `false` turns the `GET /tasks` body cache off (tests compare both ways). */
  taskListCache?: boolean;
  /** Why this host cannot run file work as a context user (`options.context_uid`), null if it can; default: the real check. */
  contextBlocker?: () => string | null;
}

export async function createBarge(config: Config, overrides: BargeOverrides = {}): Promise<Barge> {
  configureSharedCopyPool({ workers: config.copyWorkers, syncfs: config.posixSyncfs, nativeCopy: config.nativeCopy, nice: config.copyNice });
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config.logLevel);
  privateDir(config.dataDir);
  const store = await openStore(config.database);
  const closers: Array<() => void> = [];
  try {
    const { db, dialect } = store;
    const jwtKey = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : loadOrCreateKey(join(config.dataDir, 'keys', 'jwt.key'));
    const secrets = secretBox(config);
    const taskRepo = new TaskRepository(db, dialect);
    const execRepo = new ExecutionRepository(db, dialect);
    const userRepo = new UserRepository(db, dialect);
    const registryRepos = {
      nas: new RegistryRepository<any>(db, dialect, 'nas'),
      nas_shares: new RegistryRepository<any>(db, dialect, 'nas_shares'),
      cloud_connectors: new RegistryRepository<any>(db, dialect, 'cloud_connectors'),
      cloud_buckets: new RegistryRepository<any>(db, dialect, 'cloud_buckets'),
      pools: new RegistryRepository<any>(db, dialect, 'pools'),
    };
    const generations = new GenerationReader(db, config.database);
    closers.push(() => generations.close());
    const auth = new AuthService(userRepo, clock, { jwtKey, jwtTtlSeconds: config.jwtTtlSeconds, basicCacheSeconds: config.basicCacheSeconds }, generations);
        const privilegeRepo = new PrivilegeRepository(db, dialect);
    const groupRepo = new GroupRepository(db, dialect);
    const users = new UserService(userRepo, auth, groupRepo, clock);
    const guarded = { nas_shares: registryRepos.nas_shares, cloud_buckets: registryRepos.cloud_buckets, pools: registryRepos.pools };
    const access = new AccessService(privilegeRepo, userRepo, guarded, execRepo);
    const registry = new RegistryService(registryRepos, taskRepo, overrides.probes ?? realProbes, secrets, clock);
    const privileges = new PrivilegeService(privilegeRepo, guarded, userRepo, groupRepo, clock);
    const groups = new GroupService(groupRepo, userRepo, clock);
    const tasks = new TaskService(taskRepo, execRepo, registry, access, clock);
    const taskLists = new TaskListCache(tasks, generations, { ...DEFAULT_TASK_LIST_CACHE, enabled: overrides.taskListCache ?? true });
    const ledger = new LedgerRepository(db, dialect, store.sqlite);
    /** A bucket's driver (by its connector's provider) and config: the connector's endpoint and (decrypted) credentials, plus bucket options. */
    const bucketTarget = async (b: CloudBucketRow | undefined): Promise<BucketTarget | undefined> => {
      if (!b) return undefined;
      const conn = (await registryRepos.cloud_connectors.findById(b.cloud_connector_id)) as CloudConnectorRow | undefined;
      if (!conn) return undefined;
      return { id: b.id, version: `${b.updated_at}|${conn.updated_at}`, ...bucketDriver(b, registry.credentials(conn)) };
    };
    const engine: EngineHandle | undefined = !config.engine ? undefined
      : overrides.engineThread ? new EngineThread(config, logger)
      : createEngine(config, store, clock, logger, overrides.engine);
    // What the registered drivers can serve: a kind of endpoint is runnable only if its driver exists.
    const kinds = runnableKinds();
    const tapeLookup: TapeCacheLookup = { ...tapeActionLookup(new TapeRepository(db, dialect), userRepo), findShare: (id: string) => registryRepos.nas_shares.findById(id) };
    const executions = new ExecutionService(tasks, taskRepo, execRepo, new DeferRepository(db), engine ?? NO_ENGINE, clock, config.deferTtlSeconds, ledger, access, kinds, overrides.contextBlocker ?? credentialSwitchBlocker, tapeLookup);
    const admin = await users.ensureAdmin(config.adminPassword);
    // What is stored (#13): the API browses storages through drivers of its own, opened as the engine opens them.
    const browseResolver = storageResolver(store, secrets);
    closers.push(() => void browseResolver.close());
    const browsable = { nas_shares: registryRepos.nas_shares, cloud_buckets: registryRepos.cloud_buckets };
    const catalogRepo = new CatalogRepository(db, dialect);
    const catalog = new CatalogService(catalogRepo, browsable);
    const statistics = new StatisticsService(catalog, catalogRepo, new StatisticsRepository(db, dialect), clock);
    const document = buildOpenApiDocument();
    const app = await buildServer({
      document,
      auth,
      generations,
      logger,
      corsOrigins: config.corsOrigins,
      extras: [consolePlugin(), docsPage(document), ...(config.metrics ? [metricsPlugin(new MetricsService(new MetricsRepository(db), clock))] : [])],
      handlers: {
        ...taskHandlers(tasks, executions, taskLists),
        ...userHandlers(users),
        ...storageHandlers(registry),
        ...privilegeHandlers(privileges),
        ...groupHandlers(groups),
        ...moverHandlers(new MoverService(new MoverRepository(db, dialect), clock)),
        ...catalogHandlers(new BrowseService(browsable, browseResolver), catalog, statistics),
        ...scheduleHandlers(new ScheduleService(tasks, new ScheduleRepository(db, dialect), clock)),
        ...tapeHandlers(new TapeLibraryService(new TapeRepository(db, dialect), virtualLibraryFiles(config.tapeRoots), clock), new TapeService(new TapeRepository(db, dialect), registryRepos.pools, virtualLibraryFiles(config.tapeRoots), clock)),
        ...onTapesHandlers(new OnTapesFileService(new TapeFileRepository(db), registryRepos.pools)),
        ...tapeEjectHandlers(new TapeEjectService(new TapeRepository(db, dialect), virtualLibraryFiles(config.tapeRoots), clock), new TapeImportService(new TapeRepository(db, dialect), virtualLibraryFiles(config.tapeRoots), clock)),
        ...taskSubHandlers(document, executions, new TaskOptionService(tasks), new TaskMetadataService(tasks)),
        ...webhookHandlers(new WebhookDeliveryService(tasks, new WebhookRepository(db, dialect))),
        ...callbackHandlers(new CallbackService(new CallbackRepository(db, dialect), tasks, new ScriptChecker(), secrets, clock, (url) => webhookTargetProblem(url, config.webhookAllow))),
        ...metaHandlers(document, async () => void (await sql`SELECT 1`.execute(db))),
      },
    });
    await engine?.start();
    return {
      app, store, logger, admin, engine,
      services: { users, tasks, taskLists, executions, registry, auth, generations, access, privileges, groups },
      async close() {
        await app.close();
        await engine?.stop();
        for (const close of closers) close();
        await store.close();
      },
    };
  } catch (err) {
    for (const close of closers) close();
    await store.close();
    throw err;
  }
}
