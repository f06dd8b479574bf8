/**
 * `dags test`: run one DAG run in this process, task by task, printing each outcome and
 * its log, with no scheduler or worker needed. State is recorded as for any run, so the
 * run shows up in listings afterwards. Pools and max_active_* are not applied (as in
 * Airflow's `dags test`).
 */
import type { Knex } from 'knex';
import type { TaskJobData } from '../core/queue/job-id.ts';
import { createLogger } from '../core/logging.ts';
import { decideWholeRun } from '../core/transitions/apply-decisions.ts';
import { heartbeatComponent, registerComponent, stopComponent } from '../core/transitions/component.ts';
import { finalizeRunIfDone } from '../core/transitions/finalize-run.ts';
import { loadSpec } from '../core/transitions/spec-cache.ts';
import { rows } from '../core/transitions/sql.ts';
import { triggerDagRun } from '../core/transitions/trigger-run.ts';
import { runTry, type ActiveTasks, type WorkerResources } from '../worker/run-try.ts';
import type { QueueRuntime } from './runtime.ts';

export async function testDagRun(rt: QueueRuntime, dagId: string, logicalDate: Date): Promise<string> {
  const run = await triggerDagRun(rt.db, { dag_id: dagId, logical_date: logicalDate, triggered_by: 'dags test',
    run_id: `manual__test__${new Date().toISOString()}` });
  await rt.db.raw(`update dag_run set state = 'running', start_date = now() where id = ?`, [run.id]);
  const spec = await loadSpec(rt.db, run.dag_version_id);
  process.stdout.write(`Running DAG "${dagId}", run ${run.run_id} (logical date ${logicalDate.toISOString()})\n`);

  const mine: TaskJobData[] = [];
  const workerId = await registerComponent(rt.db, 'worker', rt.config.hostname, { foreground: true });
  const beat = setInterval(() => void heartbeatComponent(rt.db, workerId).catch(() => undefined), rt.config.heartbeatIntervalMs);
  const r: WorkerResources = {
    config: rt.config, db: rt.db, log: createLogger('dags-test', 'warn'),
    // As Airflow's `dags test` runs without an executor: durable tasks run here too, not on Temporal.
    durableInline: true,
    identity: { workerId, hostname: rt.config.hostname, pid: process.pid },
    queues: { enqueue: async (jobs) => {
      mine.push(...jobs.filter((j) => j.run_id === run.run_id));
      const others = jobs.filter((j) => j.run_id !== run.run_id);
      if (others.length) await rt.queues.enqueue(others);
    } },
  };
  const active: ActiveTasks = new Map();
  const printed = new Set<string>();
  try {
    for (;;) {
      mine.push(...await rt.db.transaction(async (trx) => {
        await decideWholeRun(trx, spec, run, new Date());
        return queueOwnScheduled(trx, run.id);
      }));
      if (mine.length === 0) {
        const state = await rt.db.transaction((trx) => finalizeRunIfDone(trx, spec, run.id));
        if (state) return await printRest(rt, run.id, printed, state);
        const [current] = await rows<{ state: string }>(rt.db, 'select state from dag_run where id = ?', [run.id]);
        if (current && current.state !== 'running') return await printRest(rt, run.id, printed, current.state);
        await new Promise((res) => setTimeout(res, 200)); // waiting for a retry delay or a reschedule
        continue;
      }
      const job = mine.shift()!;
      await runTry(r, job, active);
      await printOutcome(rt, job);
      printed.add(job.task_id);
    }
  } finally {
    clearInterval(beat);
    await stopComponent(rt.db, workerId);
  }
}

/** This run's scheduled tasks, queued without pool or concurrency caps. */
function queueOwnScheduled(trx: Knex.Transaction, runId: number): Promise<TaskJobData[]> {
  return rows<TaskJobData>(trx, `
    update task_instance set state = 'queued', queued_dttm = now(), reschedule_at = null,
      try_number = try_number + case when reschedule_at is null then 1 else 0 end
    where dag_run_id = ? and state = 'scheduled'
    returning id as ti_id, try_number, dag_id, run_id, task_id, map_index, queue`, [runId]);
}

/** Tasks decided without running (skipped, upstream_failed) get their line too. */
async function printRest(rt: QueueRuntime, runId: number, printed: Set<string>, state: string): Promise<string> {
  const rest = await rows<{ task_id: string; state: string | null }>(rt.db,
    'select task_id, state from task_instance where dag_run_id = ? order by id', [runId]);
  for (const t of rest) if (!printed.has(t.task_id)) process.stdout.write(`${t.task_id}: ${t.state ?? 'none'}\n`);
  return state;
}

async function printOutcome(rt: QueueRuntime, job: TaskJobData): Promise<void> {
  const [ti] = await rows<{ state: string | null; duration: number | null }>(rt.db,
    'select state, duration from task_instance where id = ?', [job.ti_id]);
  const lines = await rows<{ stream: string; message: string }>(rt.db,
    'select stream, message from task_log where ti_id = ? and try_number = ? order by id', [job.ti_id, job.try_number]);
  for (const l of lines) process.stdout.write(`  [${job.task_id}] ${l.message}\n`);
  const took = ti?.duration === null || ti?.duration === undefined ? '' : `, ${ti.duration.toFixed(3)} s`;
  process.stdout.write(`${job.task_id}: ${ti?.state ?? 'none'} (try ${job.try_number}${took})\n`);
}
