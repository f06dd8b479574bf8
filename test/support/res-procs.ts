/**
 * Helpers for the resilience and dag-processor tests: `updraft` child processes that
 * are not awaited (workers, schedulers) and are always killed by `killAll()`, process
 * groups left behind by a killed worker, polling, and the "nothing stuck" check.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { rows } from '../../core/transitions/sql.ts';
import { Harness, type HarnessOptions } from './harness.ts';
import { UPDRAFT_BIN } from './cli.ts';

let harnesses = 0;

/**
 * Harness.create, with this installation's dag_version ids starting at a value no
 * other harness of this test process uses, so a process-wide cache keyed by version id
 * (core/transitions/spec-cache.ts was one, before it was keyed by database too) can
 * never hand one installation another's DAG. res-isolation.test.ts checks the product
 * side of this without the offset.
 */
export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const h = await Harness.create(opts);
  harnesses += 1;
  await h.db.raw(`select setval(pg_get_serial_sequence('dag_version', 'id'), ?)`, [harnesses * 100_000]);
  return h;
}

export interface Exit { code: number | null; signal: NodeJS.Signals | null; at: number }

export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  /** True once the process has exited. */
  done(): boolean;
  output(): string;
}

/** Poll `fn` until it returns a truthy value; fails naming `what` (and the last value) at the deadline. */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await fn();
    if (last) return last as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolve with the exit, or reject after timeoutMs (the process keeps running). */
export function exitWithin(p: CliProcess, timeoutMs: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`process ${p.pid} did not exit within ${timeoutMs} ms; output:\n${p.output()}`)), timeoutMs);
    void p.exited.then((e) => { clearTimeout(t); resolve(e); });
  });
}

/** Every process a test starts, so after hooks can kill what is left. */
export class Procs {
  private readonly procs: CliProcess[] = [];
  private readonly groups = new Set<number>();

  /** Start `node bin/updraft.js ...args` (not awaited). */
  spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
    const child = spawn(process.execPath, [UPDRAFT_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (c: Buffer) => { if (out.length < 20_000) out += c.toString(); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let finished = false;
    const exited = new Promise<Exit>((resolve) => {
      child.on('exit', (code, signal) => { finished = true; resolve({ code, signal, at: Date.now() }); });
    });
    if (child.pid === undefined) throw new Error(`could not start updraft ${args.join(' ')}`);
    const p: CliProcess = { child, pid: child.pid, exited, done: () => finished, output: () => out };
    this.procs.push(p);
    return p;
  }

  /** A process group to kill at cleanup (a bash task orphaned by a killed worker). */
  trackGroup(pgid: number): void { this.groups.add(pgid); }

  async killAll(): Promise<void> {
    for (const pgid of this.groups) killGroup(pgid, 'SIGKILL');
    this.groups.clear();
    const alive = this.procs.filter((p) => !p.done());
    for (const p of alive) p.child.kill('SIGKILL');
    await Promise.all(alive.map((p) => p.exited));
    this.procs.length = 0;
  }
}

export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try { process.kill(-pgid, signal); return true; } catch { return false; }
}

export function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** The PID a bash task wrote (`echo $$ > file`): its process group id, since tasks run detached. */
export function readPid(file: string): number | null {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch { return null; }
}

/** Task instances left queued or running: after every scenario there must be none. */
export async function stuckTaskInstances(h: Harness): Promise<Array<{ dag_id: string; run_id: string; task_id: string; state: string }>> {
  return rows(h.db, `select dag_id, run_id, task_id, state from task_instance where state in ('queued', 'running') order by id`);
}

export interface TiRow { id: number; task_id: string; state: string | null; try_number: number; max_tries: number; pid: number | null; worker_id: string | null }

export async function taskInstance(h: Harness, dagId: string, runId: string, taskId: string): Promise<TiRow | undefined> {
  const [ti] = await rows<TiRow>(h.db, `select id, task_id, state, try_number, max_tries, pid, worker_id from task_instance
    where dag_id = ? and run_id = ? and task_id = ? and map_index = -1`, [dagId, runId, taskId]);
  return ti;
}

export interface TryRow { try_number: number; state: string | null; error: string | null; pid: number | null; worker_id: string | null; end_date: Date | null }

export async function tries(h: Harness, tiId: number): Promise<TryRow[]> {
  return rows<TryRow>(h.db, 'select try_number, state, error, pid, worker_id, end_date from task_instance_try where ti_id = ? order by try_number', [tiId]);
}

/** Processes whose command line mentions `needle` (reads /proc; Linux). */
export function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch { /* gone */ }
  }
  return found;
}
