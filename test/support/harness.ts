/**
 * An Updraft installation for one test: its own database, its own BullMQ key prefix on
 * the shared Redis, its own DAGs folder, and whichever components the test starts,
 * in-process. `stop()` closes everything so mocha exits by itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../core/config.ts';
import type { Db } from '../../core/db/connect.ts';
import { createLogger } from '../../core/logging.ts';
import { openRedis, TaskQueues } from '../../core/queue/task-queue.ts';
import { rows } from '../../core/transitions/sql.ts';
import { triggerDagRun, type TriggerRequest } from '../../core/transitions/trigger-run.ts';
import type { DagRunRow } from '../../core/model/rows.ts';
import { DagProcessor } from '../../dag-processor/processor.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { Worker, type WorkerOptions } from '../../worker/worker.ts';
import { createTestDatabase, type TestDatabase } from './fresh-db.ts';

export interface HarnessOptions {
  /** Extra UPDRAFT_* variables for this installation's config. */
  env?: Record<string, string>;
}

export class Harness {
  readonly config: Config;
  readonly db: Db;
  readonly redis: Redis;
  readonly queues: TaskQueues;
  readonly dagsFolder: string;
  private readonly stoppables: Array<{ stop(): Promise<void> }> = [];

  private constructor(private readonly testDb: TestDatabase, dagsFolder: string, env: Record<string, string>) {
    this.dagsFolder = dagsFolder;
    const unique = randomBytes(4).toString('hex');
    this.config = loadConfig({
      ...process.env,
      UPDRAFT_DATABASE_URL: testDb.url,
      UPDRAFT_DAGS_FOLDER: dagsFolder,
      UPDRAFT_QUEUE_PREFIX: `test-${unique}`,
      // Each installation's durable steps on a task queue of its own: a Temporal worker of
      // another test's installation must never take them (its database is another one).
      UPDRAFT_TEMPORAL_TASK_QUEUE: `updraft-test-${unique}`,
      UPDRAFT_SCHEDULER_IDLE_SLEEP: '0.2',
      UPDRAFT_HEARTBEAT_INTERVAL: '0.5',
      UPDRAFT_LOG_LEVEL: process.env.UPDRAFT_TEST_LOG_LEVEL ?? 'silent',
      ...env,
    });
    this.db = testDb.db;
    this.redis = openRedis(this.config.redisUrl);
    this.queues = new TaskQueues(this.redis, this.config.queuePrefix);
  }

  static async create(opts: HarnessOptions = {}): Promise<Harness> {
    const testDb = await createTestDatabase();
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-dags-'));
    return new Harness(testDb, folder, opts.env ?? {});
  }

  /** Environment for a CLI child process pointed at this installation. */
  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      UPDRAFT_DATABASE_URL: this.config.databaseUrl,
      UPDRAFT_REDIS_URL: this.config.redisUrl,
      UPDRAFT_KAFKA_BROKERS: this.config.kafkaBrokers.join(','),
      UPDRAFT_DAGS_FOLDER: this.dagsFolder,
      UPDRAFT_QUEUE_PREFIX: this.config.queuePrefix,
      UPDRAFT_TEMPORAL_ADDRESS: this.config.temporalAddress,
      UPDRAFT_TEMPORAL_TASK_QUEUE: this.config.temporalTaskQueue,
      UPDRAFT_TEMPORAL_HEARTBEAT_TIMEOUT: String(this.config.temporalHeartbeatTimeoutMs / 1000),
      UPDRAFT_HEARTBEAT_INTERVAL: String(this.config.heartbeatIntervalMs / 1000),
      UPDRAFT_SCHEDULER_IDLE_SLEEP: String(this.config.schedulerIdleSleepMs / 1000),
      UPDRAFT_ZOMBIE_THRESHOLD: String(this.config.zombieThresholdMs / 1000),
      UPDRAFT_QUEUED_CHECK_AFTER: String(this.config.queuedCheckAfterMs / 1000),
      UPDRAFT_LOG_LEVEL: this.config.logLevel,
    };
  }

  writeDag(name: string, content: string): string {
    const file = path.join(this.dagsFolder, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  }

  copyExampleDag(name: string): string {
    return this.writeDag(name, fs.readFileSync(path.resolve(import.meta.dirname, '../../dags', name), 'utf8'));
  }

  log(name: string) { return createLogger(name, this.config.logLevel); }

  /** Stop this with the harness (in reverse order of tracking). */
  track<T extends { stop(): Promise<void> }>(s: T): T {
    this.stoppables.push(s);
    return s;
  }

  async processDags(): Promise<number> {
    return new DagProcessor({ config: this.config, db: this.db, log: this.log('dag-processor') }).processAll();
  }

  async startProcessor(): Promise<DagProcessor> {
    const p = new DagProcessor({ config: this.config, db: this.db, log: this.log('dag-processor') });
    await p.start();
    this.stoppables.push(p);
    return p;
  }

  async startScheduler(): Promise<Scheduler> {
    const s = new Scheduler({ config: this.config, db: this.db, queues: this.queues, log: this.log('scheduler') });
    await s.start();
    this.stoppables.push(s);
    return s;
  }

  async startWorker(opts: Partial<WorkerOptions> = {}): Promise<Worker> {
    const w = new Worker({ config: this.config, db: this.db, queues: this.queues, log: this.log('worker') }, this.redis,
      { queues: ['default'], concurrency: 8, shutdownGraceMs: 5000, temporal: false, ...opts });
    await w.start();
    this.stoppables.push(w);
    return w;
  }

  trigger(req: TriggerRequest): Promise<DagRunRow> {
    return triggerDagRun(this.db, req);
  }

  /** Poll until the run reaches a finished state; fails with the task states if it does not. */
  async waitForRun(dagId: string, runId: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const [run] = await rows<{ state: string }>(this.db, 'select state from dag_run where dag_id = ? and run_id = ?', [dagId, runId]);
      if (run && (run.state === 'success' || run.state === 'failed')) return run.state;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`run ${dagId}/${runId} did not finish in ${timeoutMs} ms; tasks: ${JSON.stringify(await this.taskStates(dagId, runId))}`);
  }

  async taskStates(dagId: string, runId: string): Promise<Record<string, string | null>> {
    const tis = await rows<{ task_id: string; state: string | null }>(this.db,
      'select task_id, state from task_instance where dag_id = ? and run_id = ? order by id', [dagId, runId]);
    return Object.fromEntries(tis.map((t) => [t.task_id, t.state]));
  }

  async stop(): Promise<void> {
    for (const s of this.stoppables.reverse()) await s.stop();
    await this.queues.close();
    this.redis.disconnect();
    await this.testDb.drop();
    fs.rmSync(this.dagsFolder, { recursive: true, force: true });
  }
}
