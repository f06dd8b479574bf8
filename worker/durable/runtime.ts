/**
 * The Temporal side of `updraft worker`: a client (to start durable steps and wait for
 * them) and a Temporal worker on the durable task queue (to run their activities), so
 * that every Updraft worker can take over the steps of one that died.
 *
 * Temporal is optional for a worker: without a server, ordinary tasks run as always and
 * a durable task fails with a message saying where Temporal was expected. The server is
 * looked for again in the background, so starting it later is enough.
 */
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker as TemporalWorker, type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../core/config.ts';
import type { Db } from '../../core/db/connect.ts';
import type { Logger } from '../../core/logging.ts';
import { makeDurableActivities } from './activities.ts';

const WORKFLOWS_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows.ts');
const RECONNECT_MS = 5_000;

/** Temporal settings of a worker (from the config; see core/config.ts). */
export interface TemporalSettings { address: string; namespace: string; taskQueue: string; heartbeatTimeoutMs: number }

// Bundling the workflow code (webpack) takes seconds: once per process.
let bundling: Promise<WorkflowBundleWithSourceMap> | null = null;
function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundling ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  bundling.catch(() => { bundling = null; });
  return bundling;
}

/**
 * The SDK logs to the console at INFO (every worker state change) by default: its
 * warnings and errors go to our logger instead. The runtime is per process: installed once.
 */
let runtimeInstalled = false;
function installRuntime(log: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
        if (level === 'ERROR') log.error({ temporal: meta }, message); else log.warn({ temporal: meta }, message);
      }),
    });
  } catch { /* installed already by the embedding program (a test): its logger stays */ }
}

const noop = () => undefined;
const quietBundlerLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export class DurableRuntime {
  private connection: Connection | null = null;
  private nativeConnection: NativeConnection | null = null;
  private worker: TemporalWorker | null = null;
  private running: Promise<void> | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  private warned = false;

  constructor(
    readonly settings: TemporalSettings,
    private readonly deps: { config: Config; db: Db; log: Logger; workerId: string; concurrency: number },
  ) {}

  /** Connect in the background; resolves at once. */
  start(): void {
    installRuntime(this.deps.log);
    void this.tryStart();
  }

  /** The client, connecting if needed; throws a clear error when no server answers. */
  async client(): Promise<Client> {
    if (!this.connection) {
      try {
        this.connection = await Connection.connect({ address: this.settings.address, connectTimeout: 5_000 });
      } catch (err) {
        throw new Error(`durable steps need a Temporal server at ${this.settings.address}, but none answers (${(err as Error).message}); `
          + 'start it with `bash scripts/temporal.sh start`, or set UPDRAFT_TEMPORAL_ADDRESS');
      }
    }
    return new Client({ connection: this.connection, namespace: this.settings.namespace });
  }

  private async tryStart(): Promise<void> {
    if (this.stopped || this.worker) return;
    try {
      const [bundle, connection] = await Promise.all([
        workflowBundle(), NativeConnection.connect({ address: this.settings.address }),
      ]);
      if (this.stopped) { await connection.close(); return; }
      this.nativeConnection = connection;
      this.worker = await TemporalWorker.create({
        connection, namespace: this.settings.namespace, taskQueue: this.settings.taskQueue,
        workflowBundle: bundle,
        activities: makeDurableActivities({ config: this.deps.config, db: this.deps.db, workerId: this.deps.workerId }),
        maxConcurrentActivityTaskExecutions: this.deps.concurrency,
        // On stop, running attempts get this long; then Temporal retries them elsewhere.
        shutdownGraceTime: '5s',
      });
      this.running = this.worker.run().catch((err: unknown) => {
        this.deps.log.error({ err }, 'the Temporal worker stopped with an error; restarting it');
        this.worker = null;
        this.scheduleRetry();
      });
      this.deps.log.info({ address: this.settings.address, taskQueue: this.settings.taskQueue }, 'durable steps: Temporal worker started');
    } catch (err) {
      if (!this.warned) {
        this.deps.log.warn({ address: this.settings.address, err: (err as Error).message },
          'durable steps: no Temporal server answers yet; ordinary tasks are not affected, trying again in the background');
        this.warned = true;
      }
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => { this.retry = null; void this.tryStart(); }, RECONNECT_MS);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running;
    await this.nativeConnection?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    this.worker = null;
    this.connection = null;
  }
}
