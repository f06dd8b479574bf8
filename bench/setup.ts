/**
 * A throwaway Updraft installation for a benchmark: its own database (created and
 * migrated here, dropped at the end), its own BullMQ prefix, and a DAGs folder with
 * the benchmark DAGs. The scheduler and worker run as separate `updraft` processes,
 * as in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../core/config.ts';
import { openDatabase, type Db } from '../core/db/connect.ts';
import { migrate } from '../core/db/migrate.ts';
import { createLogger } from '../core/logging.ts';
import { DagProcessor } from '../dag-processor/processor.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/updraft.js');

export interface BenchInstall {
  config: Config;
  db: Db;
  env: NodeJS.ProcessEnv;
  spawn(args: string[]): ChildProcess;
  teardown(): Promise<void>;
}

export async function createBenchInstall(dagFiles: Record<string, string>): Promise<BenchInstall> {
  const base = loadConfig();
  const name = `updraft_bench_${randomBytes(4).toString('hex')}`;
  const admin = openDatabase(base.databaseUrl, { poolMax: 1 });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const url = new URL(base.databaseUrl);
  url.pathname = `/${name}`;
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-bench-'));
  for (const [file, text] of Object.entries(dagFiles)) fs.writeFileSync(path.join(folder, file), text);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    UPDRAFT_DATABASE_URL: url.toString(),
    UPDRAFT_REDIS_URL: base.redisUrl,
    UPDRAFT_DAGS_FOLDER: folder,
    UPDRAFT_QUEUE_PREFIX: `bench-${randomBytes(3).toString('hex')}`,
    UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: 'false',
    UPDRAFT_LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  const db = openDatabase(config.databaseUrl, { poolMax: 4 });
  await migrate(db);
  await new DagProcessor({ config, db, log: createLogger('bench', 'warn') }).processAll();
  const children: ChildProcess[] = [];
  return {
    config, db, env,
    spawn(args) {
      // BENCH_CPU_PROF=DIR writes a V8 CPU profile of each process there (for tuning);
      // BENCH_NODE_ARGS adds node flags to each (e.g. --trace-gc).
      const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
      const child = spawn(process.execPath, [...prof, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), BIN, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
      children.push(child);
      return child;
    },
    async teardown() {
      await Promise.all(children.map((c) => new Promise<void>((res) => {
        if (c.exitCode !== null) { res(); return; }
        c.once('exit', () => res());
        c.kill('SIGTERM');
      })));
      await db.destroy();
      const a = openDatabase(base.databaseUrl, { poolMax: 1 });
      await a.raw(`drop database if exists ${name} with (force)`);
      await a.destroy();
      fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Wait until the worker and scheduler have registered their heartbeats. */
export async function waitForComponents(db: Db, kinds: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = (await db.raw(`select distinct kind from component where state = 'running'`)) as { rows: Array<{ kind: string }> };
    if (kinds.every((k) => found.rows.some((r) => r.kind === k))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`components ${kinds.join(', ')} did not start within ${timeoutMs} ms`);
}

export async function waitForRunState(db: Db, runId: number, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = (await db.raw('select state from dag_run where id = ?', [runId])) as { rows: Array<{ state: string }> };
    const state = r.rows[0]?.state;
    if (state === 'success' || state === 'failed') return state;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`run ${runId} did not finish within ${timeoutMs} ms`);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}
