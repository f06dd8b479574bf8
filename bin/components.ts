/**
 * Long-running components wired to their resources, and the signal handling that
 * stops them cleanly: the first Ctrl-C stops gracefully, a second one exits at once.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '../core/db/migrate.ts';
import { UserInputError } from '../core/errors.ts';
import { createLogger } from '../core/logging.ts';
import { DagProcessor } from '../dag-processor/processor.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { Worker } from '../worker/worker.ts';
import type { QueueRuntime, Runtime } from './runtime.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Stoppable { stop(): Promise<void> }

/** Start the project-private PostgreSQL and Redis (skipped for URLs the user set). */
export function startServices(): void {
  const result = spawnSync('bash', [path.join(ROOT, 'scripts/services.sh'), 'start'], { stdio: 'inherit' });
  if (result.status !== 0) throw new UserInputError('could not start the services (see the message above)');
}

/**
 * Standalone's Temporal server (durable steps), unless UPDRAFT_WITH_TEMPORAL=0 or
 * UPDRAFT_TEMPORAL_ADDRESS names a server of the user's own. Not fatal: without it
 * only durable tasks fail (saying so). Returns a line for the banner.
 */
export function startTemporalForStandalone(address: string): string {
  if (process.env.UPDRAFT_WITH_TEMPORAL === '0') return 'off (UPDRAFT_WITH_TEMPORAL=0): durable tasks fail';
  if (process.env.UPDRAFT_TEMPORAL_ADDRESS) return `${address} (UPDRAFT_TEMPORAL_ADDRESS)`;
  const result = spawnSync('bash', [path.join(ROOT, 'scripts/temporal.sh'), 'start'], { stdio: 'inherit' });
  if (result.status === 0) return `${address} (dev server; bash scripts/temporal.sh stop)`;
  process.stderr.write('updraft: the Temporal server did not start (see above); everything else runs, durable tasks fail until it does\n');
  return 'not running: durable tasks fail until `bash scripts/temporal.sh start` succeeds';
}

export async function migrateQuietly(rt: Runtime): Promise<void> {
  const applied = await migrate(rt.db);
  if (applied.length) createLogger('db', rt.config.logLevel).info({ applied }, 'database migrated');
}

export async function startProcessor(rt: Runtime): Promise<DagProcessor> {
  const p = new DagProcessor({ config: rt.config, db: rt.db, log: createLogger('dag-processor', rt.config.logLevel) });
  await p.start();
  return p;
}

export async function startScheduler(rt: QueueRuntime): Promise<Scheduler> {
  const s = new Scheduler({ config: rt.config, db: rt.db, queues: rt.queues, log: createLogger('scheduler', rt.config.logLevel) });
  await s.start();
  return s;
}

export interface WorkerCliOptions { queues: string[]; concurrency: number; shutdownGraceMs: number; temporal?: boolean }

export async function startWorker(rt: QueueRuntime, opts: WorkerCliOptions): Promise<Worker> {
  const w = new Worker({ config: rt.config, db: rt.db, queues: rt.queues, log: createLogger('worker', rt.config.logLevel) },
    rt.redis, opts);
  await w.start();
  return w;
}

/** Block until SIGINT/SIGTERM, then stop components in order and close resources. */
export async function runUntilSignal(components: Stoppable[], rt: Runtime): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) { process.stderr.write(`updraft: ${signal} again, exiting now\n`); process.exit(130); }
      stopping = true;
      process.stderr.write(`updraft: ${signal} received, stopping (press Ctrl-C again to force)\n`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  for (const c of components) await c.stop();
  await rt.close();
}
