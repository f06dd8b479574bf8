/**
 * Helpers for the scheduling integration tests (test/integration/sched-*.test.ts):
 * polling, sampling the metadata tables while work progresses, and interval overlap.
 */
import { rows } from '../../core/transitions/sql.ts';
import { Harness, type HarnessOptions } from './harness.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value; throws with `what` (and the last value) on timeout. */
export async function waitFor<T>(what: string, fn: () => Promise<T>, timeoutMs = 15_000, everyMs = 40): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/**
 * Run `probe` every `everyMs` until stop() is called; stop() resolves to every sample.
 * Samples are taken back to back on one connection at a time, so each is a consistent
 * snapshot of the tables at one moment.
 */
export function sample<T>(probe: () => Promise<T>, everyMs = 15): { stop(): Promise<T[]> } {
  const samples: T[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push(await probe());
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** The largest number of [start, end] intervals that overlap at one instant. */
export function maxOverlap(intervals: ReadonlyArray<{ start: Date; end: Date }>, weight: (i: number) => number = () => 1): number {
  const events: Array<[number, number]> = [];
  intervals.forEach((iv, i) => {
    events.push([iv.start.getTime(), weight(i)]);
    events.push([iv.end.getTime(), -weight(i)]);
  });
  // At equal instants, ends come before starts: touching intervals do not overlap.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of events) { cur += d; max = Math.max(max, cur); }
  return max;
}

/** Wait for every run of a DAG to be finished; returns run_id → state. */
export async function waitForAllRuns(h: Harness, dagId: string, expectedCount: number, timeoutMs = 20_000): Promise<Record<string, string>> {
  let seen: unknown = null;
  const runs = await waitFor(`${expectedCount} finished runs of ${dagId}`, async () => {
    const rs = await rows<{ run_id: string; state: string }>(h.db,
      'select run_id, state from dag_run where dag_id = ? order by logical_date', [dagId]);
    seen = rs;
    return rs.length === expectedCount && rs.every((r) => r.state === 'success' || r.state === 'failed') ? rs : null;
  }, timeoutMs).catch((err: Error) => { throw new Error(`${err.message}; runs: ${JSON.stringify(seen)}`); });
  return Object.fromEntries(runs.map((r) => [r.run_id, r.state]));
}

/** Task-instance tries of a run with their times, for overlap checks. */
export async function tries(h: Harness, dagId: string, runId?: string): Promise<Array<{ task_id: string; try_number: number; state: string | null; start: Date; end: Date; error: string | null; pool_slots: number }>> {
  return rows(h.db, `
    select ti.task_id, t.try_number, t.state, t.start_date as start, t.end_date as "end", t.error, ti.pool_slots
    from task_instance_try t join task_instance ti on ti.id = t.ti_id
    where ti.dag_id = ? and (?::text is null or ti.run_id = ?::text)
    order by t.start_date, t.id`, [dagId, runId ?? null, runId ?? null]);
}

/** Midnight UTC of the day `daysAgo` days before today. */
export function utcMidnight(daysAgo: number, now = new Date()): Date {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return new Date(d.getTime() - daysAgo * 86_400_000);
}

/** Airflow's run id suffix for an instant: 2026-11-20T00:00:00+00:00. */
export function airflowIso(d: Date): string {
  return `${d.toISOString().slice(0, 19)}+00:00`;
}

/*
 * The process keeps serialized DAGs in a cache keyed by dag_version id alone
 * (core/transitions/spec-cache.ts), while every Harness has its own database whose ids
 * start at 1: two installations in one test process would read each other's DAGs.
 * Starting each installation's dag_version ids at a range of their own keeps these
 * tests independent of that (the cache itself is reported as a bug and exposed by a
 * dedicated test in sched-runs.test.ts).
 */
let versionBase = 1_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000;

/** Harness.create, with dag_version ids that no other installation in this process uses. */
export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const h = await Harness.create(opts);
  versionBase += 1_000;
  await h.db.raw('select setval(\'dag_version_id_seq\', ?, false)', [versionBase]);
  return h;
}
