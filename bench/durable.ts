/**
 * What a durable step costs (the README's "What a durable step costs" table comes from
 * here): chains of N no-op tasks (BENCH_DURABLE_TASKS, default 30), EmptyOperators that
 * really go through the queue and a worker, in three DAGs run by the same installation:
 *  (a) ordinary tasks;
 *  (b) `durable: true` tasks: each its own Temporal workflow with one activity;
 *  (c) a `run_as_workflow: true` DAG: the run is one workflow, each task an update of it.
 * Per task: the hop (end of task i to start of task i+1) and the task's own duration
 * (its start_date to end_date, which for (b) and (c) includes the round trip through
 * Temporal), median and p95; per run: the wall time (the run's start_date to end_date).
 * All from the database's own timestamps, as in bench/run.ts. For (b) and (c) it also
 * splits the duration: task start -> activity start (workflow start or update, activity
 * dispatch, and the activity loading its task, up to its attempt row) and activity end ->
 * task end (from the attempt row's end: the result back to the waiting try, outcome written).
 *
 * A throwaway installation (bench/setup.ts): one `updraft scheduler` and one
 * `updraft worker` process, the worker also serving Temporal activities on a task queue
 * of its own, so a developer's or test's workers on the same Temporal server take none.
 *
 *   bash scripts/services.sh start && bash scripts/temporal.sh start && npm run bench:durable
 *   BENCH_DURABLE_RUNS (default 3): measured runs per variant, after one warm-up run each.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../core/config.ts';
import type { Db } from '../core/db/connect.ts';
import { rows } from '../core/transitions/sql.ts';
import { triggerDagRun } from '../core/transitions/trigger-run.ts';
import { createBenchInstall, percentile, waitForComponents, waitForRunState } from './setup.ts';

const TASKS = positiveInt('BENCH_DURABLE_TASKS', 30, 2);
const RUNS = positiveInt('BENCH_DURABLE_RUNS', 3, 1);

type Variant = 'ordinary' | 'durable' | 'workflow';
const VARIANTS: ReadonlyArray<{ variant: Variant; dag_id: string; label: string }> = [
  { variant: 'ordinary', dag_id: 'bench_durable_a_ordinary', label: '(a) ordinary' },
  { variant: 'durable', dag_id: 'bench_durable_b_steps', label: '(b) durable: true' },
  { variant: 'workflow', dag_id: 'bench_durable_c_run_as_workflow', label: '(c) run_as_workflow' },
];

function positiveInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, not ${JSON.stringify(raw)}`);
  return n;
}

/** Zero-padded task ids, so ordering by task_id is the chain's order. */
function chainDag(dagId: string, variant: Variant): string {
  const width = String(TASKS - 1).length;
  const dagOpts = variant === 'workflow' ? ', run_as_workflow: true' : '';
  const taskOpts = variant === 'durable' ? ', durable: true' : '';
  return `
import { DAG, EmptyOperator, chain } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2026-01-01'${dagOpts} });
chain(...Array.from({ length: ${TASKS} }, (_, i) => new EmptyOperator({ task_id: 't' + String(i).padStart(${width}, '0'), dag${taskOpts} })));
`;
}

/** Fail fast with the way out, rather than a warm-up run that waits for a server that is not there. */
async function requireTemporal(address: string): Promise<void> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 5_000 });
    await connection.close();
  } catch (err) {
    throw new Error(`no Temporal server answers at ${address} (${(err as Error).message}); start it with \`bash scripts/temporal.sh start\``);
  }
}

interface Samples { hops: number[]; durations: number[]; walls: number[]; toActivity: number[]; fromActivity: number[] }

function emptySamples(): Samples {
  return { hops: [], durations: [], walls: [], toActivity: [], fromActivity: [] };
}

/** One finished run's figures, added to its variant's samples. */
async function collect(db: Db, runId: number, variant: Variant, into: Samples): Promise<void> {
  const tis = await rows<{ hop_ms: string | null; dur_ms: string; attempts: number; to_act_ms: string | null; from_act_ms: string | null }>(db, `
    select extract(epoch from (ti.start_date - lag(ti.end_date) over (order by ti.task_id))) * 1000 as hop_ms,
      extract(epoch from (ti.end_date - ti.start_date)) * 1000 as dur_ms,
      a.n as attempts,
      extract(epoch from (a.first_start - ti.start_date)) * 1000 as to_act_ms,
      extract(epoch from (ti.end_date - a.last_end)) * 1000 as from_act_ms
    from task_instance ti
    left join lateral (select count(*)::int as n, min(start_date) as first_start, max(end_date) as last_end
                       from durable_attempt where ti_id = ti.id) a on true
    where ti.dag_run_id = ? order by ti.task_id`, [runId]);
  if (tis.length !== TASKS) throw new Error(`run ${runId}: ${tis.length} task instances, expected ${TASKS}`);
  // A bench of durable steps that quietly ran them the ordinary way would measure nothing.
  const expected = variant === 'ordinary' ? 0 : 1;
  const wrong = tis.filter((t) => t.attempts !== expected).length;
  if (wrong) throw new Error(`run ${runId} (${variant}): ${wrong} task instances with other than ${expected} Temporal attempt(s)`);
  for (const t of tis) {
    if (t.hop_ms !== null) into.hops.push(Number(t.hop_ms));
    into.durations.push(Number(t.dur_ms));
    if (t.to_act_ms !== null) into.toActivity.push(Number(t.to_act_ms));
    if (t.from_act_ms !== null) into.fromActivity.push(Number(t.from_act_ms));
  }
  const [run] = await rows<{ wall_ms: string | null }>(db,
    'select extract(epoch from (end_date - start_date)) * 1000 as wall_ms from dag_run where id = ?', [runId]);
  if (run?.wall_ms == null) throw new Error(`run ${runId} has no start or end date`);
  into.walls.push(Number(run.wall_ms));
}

async function runOnce(db: Db, dagId: string): Promise<number> {
  const run = await triggerDagRun(db, { dag_id: dagId, logical_date: null });
  const state = await waitForRunState(db, run.id);
  if (state !== 'success') throw new Error(`${dagId} run ${run.run_id} ended ${state}`);
  return run.id;
}

interface Summary {
  hop_p50_ms: number; hop_p95_ms: number; duration_p50_ms: number; duration_p95_ms: number; wall_p50_ms: number;
  to_activity_p50_ms: number | null; from_activity_p50_ms: number | null; samples: { hops: number; tasks: number; runs: number };
}

function summarize(s: Samples): Summary {
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const ms = (x: number) => +x.toFixed(3);
  const hops = sorted(s.hops), durations = sorted(s.durations), walls = sorted(s.walls);
  return {
    hop_p50_ms: ms(percentile(hops, 50)), hop_p95_ms: ms(percentile(hops, 95)),
    duration_p50_ms: ms(percentile(durations, 50)), duration_p95_ms: ms(percentile(durations, 95)),
    wall_p50_ms: ms(percentile(walls, 50)),
    to_activity_p50_ms: s.toActivity.length ? ms(percentile(sorted(s.toActivity), 50)) : null,
    from_activity_p50_ms: s.fromActivity.length ? ms(percentile(sorted(s.fromActivity), 50)) : null,
    samples: { hops: hops.length, tasks: durations.length, runs: walls.length },
  };
}

/** What one task adds over an ordinary one, two ways: from the medians, and from the whole runs. */
function added(x: Summary, base: Summary): { from_medians_ms: number; from_wall_ms: number } {
  return {
    from_medians_ms: +((x.hop_p50_ms + x.duration_p50_ms) - (base.hop_p50_ms + base.duration_p50_ms)).toFixed(3),
    from_wall_ms: +((x.wall_p50_ms - base.wall_p50_ms) / TASKS).toFixed(3),
  };
}

function table(summaries: Record<Variant, Summary>): string {
  const f = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)} ms`);
  const line = (name: string, pick: (s: Summary) => number | null) =>
    `| ${name} | ${VARIANTS.map((v) => f(pick(summaries[v.variant]))).join(' | ')} |\n`;
  const { ordinary } = summaries;
  const plus = (v: Variant) => added(summaries[v], ordinary);
  return `\n| per task (${TASKS}-task chain, ${RUNS} run${RUNS === 1 ? '' : 's'} each) | ${VARIANTS.map((v) => v.label).join(' | ')} |\n`
    + `|---|---|---|---|\n`
    + line('hop, median', (s) => s.hop_p50_ms)
    + line('hop, p95', (s) => s.hop_p95_ms)
    + line('duration, median', (s) => s.duration_p50_ms)
    + line('duration, p95', (s) => s.duration_p95_ms)
    + line('  of which task start -> activity start, median', (s) => s.to_activity_p50_ms)
    + line('  of which activity end -> task end, median', (s) => s.from_activity_p50_ms)
    + line('whole run, wall time, median', (s) => s.wall_p50_ms)
    + `| added per task over (a), from medians (hop + duration) | – | ${f(plus('durable').from_medians_ms)} | ${f(plus('workflow').from_medians_ms)} |\n`
    + `| added per task over (a), from wall time / ${TASKS} | – | ${f(plus('durable').from_wall_ms)} | ${f(plus('workflow').from_wall_ms)} |\n`;
}

async function main(): Promise<void> {
  await requireTemporal(loadConfig().temporalAddress);
  // createBenchInstall passes this process's environment on to its processes.
  process.env.UPDRAFT_TEMPORAL_TASK_QUEUE = `updraft-bench-${randomBytes(4).toString('hex')}`;
  const install = await createBenchInstall(Object.fromEntries(VARIANTS.map((v) => [`${v.dag_id}.ts`, chainDag(v.dag_id, v.variant)])));
  try {
    install.spawn(['scheduler']);
    install.spawn(['worker']);
    await waitForComponents(install.db, ['scheduler', 'worker']);
    const { db } = install;

    // Warm-up, one run each: loads code paths and caches, and for (b) and (c) waits out the
    // Temporal worker's start (bundling the workflow code takes seconds).
    for (const v of VARIANTS) await runOnce(db, v.dag_id);

    // Interleaved (a, b, c, a, b, c, ...): the shared machine's load drifts, and this way
    // the drift falls on the three variants alike instead of on whichever ran last.
    const samples: Record<Variant, Samples> = { ordinary: emptySamples(), durable: emptySamples(), workflow: emptySamples() };
    for (let i = 0; i < RUNS; i++) {
      for (const v of VARIANTS) {
        await collect(db, await runOnce(db, v.dag_id), v.variant, samples[v.variant]);
        process.stderr.write(`round ${i + 1}/${RUNS}: ${v.label} done\n`);
      }
    }

    const summaries = {
      ordinary: summarize(samples.ordinary), durable: summarize(samples.durable), workflow: summarize(samples.workflow),
    };
    const result = {
      machine: `${os.cpus().length} cores`, tasks: TASKS, runs_per_variant: RUNS, task_queue: install.env.UPDRAFT_TEMPORAL_TASK_QUEUE,
      ...summaries,
      added_per_task: { durable: added(summaries.durable, summaries.ordinary), workflow: added(summaries.workflow, summaries.ordinary) },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(table(summaries));
  } finally {
    await install.teardown();
  }
}

main().then(() => process.exit(0), (err: unknown) => { process.stderr.write(`bench failed: ${String(err)}\n`); process.exit(1); });
