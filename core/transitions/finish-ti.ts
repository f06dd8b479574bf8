/**
 * Record a try's outcome and, in the same transaction, decide and queue the downstream
 * tasks that became ready, so the next hop does not wait for a scheduler loop.
 *
 * Success takes the narrow path: lock the direct downstream task instances that are
 * still undecided (FOR UPDATE, in id order), read their other upstreams, decide. The
 * lock makes two upstreams finishing at once meet in turn: the second sees the first's
 * committed state. Any other outcome (or a cascade of skips) decides the whole run.
 */
import type { Knex } from 'knex';
import type { Db } from '../db/connect.ts';
import type { DagSpec, TaskSpec } from '../dag/spec.ts';
import type { DagRunState, TaskState } from '../model/states.ts';
import type { TaskJobData } from '../queue/job-id.ts';
import { canRetry, retryDelayMs } from '../rules/index.ts';
import { decideWholeRun, previousStates, writeDecisions, type RunRef } from './apply-decisions.ts';
import { decidePending, type TiState } from './decide.ts';
import { finalizeRunIfDone } from './finalize-run.ts';
import { queueScheduled } from './queue-scheduled.ts';
import { rows } from './sql.ts';

export type Outcome =
  | { kind: 'success'; xcom?: unknown }
  | { kind: 'skipped'; reason?: string }
  | { kind: 'failed'; error: string; retryable: boolean };

export interface FinishingTask {
  id: number;
  task_id: string;
  try_number: number;
  max_tries: number;
  start_date: Date;
  map_index: number;
  /** The state the task instance must still be in (guards against a concurrent change). */
  expected_state: TaskState;
}

export interface FinishResult {
  /** The state written, or null when the task instance had changed meanwhile. */
  state: TaskState | null;
  jobs: TaskJobData[];
  runState: DagRunState | null;
}

export async function finishTaskInstance(
  db: Db, spec: DagSpec, run: RunRef, ti: FinishingTask, outcome: Outcome, endDate: Date,
): Promise<FinishResult> {
  const task = spec.tasks.find((t) => t.task_id === ti.task_id);
  if (!task) throw new Error(`task "${ti.task_id}" is not in DAG "${spec.dag_id}"`);
  return db.transaction(async (trx) => {
    const state = finalState(outcome, ti);
    const nextRetryAt = state === 'up_for_retry'
      ? new Date(endDate.getTime() + retryDelayMs(task, { dag_id: spec.dag_id, task_id: ti.task_id, logical_date: run.logical_date, try_number: ti.try_number }))
      : null;
    const duration = (endDate.getTime() - ti.start_date.getTime()) / 1000;
    const error = outcome.kind === 'failed' ? outcome.error : null;
    const updated = await rows<{ id: number }>(trx, `
      with t as (
        update task_instance set state = ?, end_date = ?, duration = ?, next_retry_at = ?, updated_at = now()
        where id = ? and state = ? and try_number = ? returning id
      ), h as (
        update task_instance_try set state = ?, end_date = ?, duration = ?, error = ?
        where ti_id = ? and try_number = ?
      )
      select id from t`,
    [state, endDate, duration, nextRetryAt, ti.id, ti.expected_state, ti.try_number,
      state, endDate, duration, error, ti.id, ti.try_number]);
    if (updated.length === 0) return { state: null, jobs: [], runState: null };

    if (outcome.kind === 'success' && outcome.xcom !== undefined && task.do_xcom_push) {
      await trx.raw(`insert into xcom (dag_run_id, task_id, map_index, key, value) values (?, ?, ?, 'return_value', ?)
        on conflict (dag_run_id, task_id, map_index, key) do update set value = excluded.value, timestamp = now()`,
      [run.id, ti.task_id, ti.map_index, JSON.stringify(outcome.xcom)]);
    }
    if (state === 'up_for_retry') return { state, jobs: [], runState: null };

    const narrow = state === 'success' && (await decideDownstream(trx, spec, run, task, endDate));
    if (!narrow) await decideWholeRun(trx, spec, run, endDate);
    const jobs = await queueScheduled(trx, { dagId: spec.dag_id, limit: 64 });
    const runState = jobs.length === 0 ? await finalizeRunIfDone(trx, spec, run.id) : null;
    return { state, jobs, runState };
  });
}

function finalState(outcome: Outcome, ti: FinishingTask): TaskState {
  if (outcome.kind === 'success') return 'success';
  if (outcome.kind === 'skipped') return 'skipped';
  return outcome.retryable && canRetry(ti.try_number, ti.max_tries) ? 'up_for_retry' : 'failed';
}

/** The narrow path; returns false when a skip/failure cascade needs the whole run decided. */
async function decideDownstream(trx: Knex.Transaction, spec: DagSpec, run: RunRef, task: TaskSpec, now: Date): Promise<boolean> {
  if (task.downstream.length === 0) return true;
  const locked = await rows<TiState>(trx, `
    select id, task_id, state, next_retry_at, reschedule_at from task_instance
    where dag_run_id = ? and task_id = any(?) and map_index = -1 and state is null
    order by id for update`, [run.id, task.downstream]);
  if (locked.length === 0) return true;

  const byId = new Map(spec.tasks.map((t) => [t.task_id, t]));
  const others = new Set<string>();
  for (const d of locked) for (const up of byId.get(d.task_id)?.upstream ?? []) if (up !== task.task_id) others.add(up);
  const context = others.size === 0 ? [] : await rows<TiState>(trx, `
    select id, task_id, state, next_retry_at, reschedule_at from task_instance
    where dag_run_id = ? and task_id = any(?) and map_index = -1`, [run.id, [...others]]);

  const tis = new Map<string, TiState>([...context, ...locked].map((t) => [t.task_id, t]));
  tis.set(task.task_id, { id: 0, task_id: task.task_id, state: 'success', next_retry_at: null, reschedule_at: null });
  const dependsOnPast = locked.filter((d) => byId.get(d.task_id)?.depends_on_past).map((d) => d.task_id);
  const previous = await previousStates(trx, run, dependsOnPast);
  const decisions = decidePending({ spec, tis, only: new Set(locked.map((l) => l.task_id)), previous, now });
  if (decisions.some((d) => d.to !== 'scheduled')) return false;
  await writeDecisions(trx, decisions);
  return true;
}
