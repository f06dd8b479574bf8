/**
 * Record a try's outcome and queue the downstream tasks that became ready, so the next
 * hop does not wait for a scheduler loop. The common case is one call of the SQL
 * function `updraft_finish_ti` (migrations/002): outcome, XCom, downstream decision for
 * rules with a "ready when the other upstreams are in S" shortcut, and capped queuing,
 * in one round trip and one commit. Everything else (a failure or skip that cascades, a
 * rule without the shortcut) is decided by the full evaluator in a second transaction.
 */
import type { Db } from '../db/connect.ts';
import type { DagSpec, TaskSpec } from '../dag/spec.ts';
import type { DagRunState, TaskState, TaskStateOrNone } from '../model/states.ts';
import type { TaskJobData } from '../queue/job-id.ts';
import { canRetry, countUpstream, evaluateTriggerRule, readyAfterUpstreamSuccess, retryDelayMs } from '../rules/index.ts';
import { decideWholeRun, type RunRef } from './apply-decisions.ts';
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
  /** Another queuer held the DAG's cap lock: call `queueScheduled` for this DAG soon. */
  queueBusy: boolean;
}

interface FinishReply {
  finished: boolean;
  jobs?: TaskJobData[];
  not_ready?: Array<{ task_id: string; states: Record<string, TaskStateOrNone> }>;
  queue_busy?: boolean;
  run_may_be_done?: boolean;
}

/**
 * How many scheduled tasks of the DAG one finish may queue: the slot it freed, what just
 * became ready, and slots freed by finishers that found the cap lock busy. Kept small
 * because candidates are read under the DAG's cap lock.
 */
const QUEUE_LIMIT = 32;

const poolCache = new WeakMap<DagSpec, string[]>();
export function dagPools(spec: DagSpec): string[] {
  let pools = poolCache.get(spec);
  if (!pools) { pools = [...new Set(spec.tasks.map((t) => t.pool))].sort(); poolCache.set(spec, pools); }
  return pools;
}

export async function finishTaskInstance(
  db: Db, spec: DagSpec, run: RunRef, ti: FinishingTask, outcome: Outcome, endDate: Date | string,
): Promise<FinishResult> {
  const task = spec.tasks.find((t) => t.task_id === ti.task_id);
  if (!task) throw new Error(`task "${ti.task_id}" is not in DAG "${spec.dag_id}"`);
  const end = typeof endDate === 'string' ? new Date(endDate) : endDate;
  const state = finalState(outcome, ti);
  const nextRetryAt = state === 'up_for_retry'
    ? new Date(end.getTime() + retryDelayMs(task, { dag_id: spec.dag_id, task_id: ti.task_id, logical_date: run.logical_date, try_number: ti.try_number }))
    : null;
  const xcom = outcome.kind === 'success' && outcome.xcom !== undefined && task.do_xcom_push ? JSON.stringify(outcome.xcom) : null;
  const down = state === 'success' ? downstreamConditions(spec, task) : [];
  const [row] = await rows<{ r: FinishReply }>(db, 'select updraft_finish_ti(?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?) as r', [
    ti.id, ti.try_number, ti.expected_state, state, endDate, (end.getTime() - ti.start_date.getTime()) / 1000, nextRetryAt,
    outcome.kind === 'failed' ? outcome.error : null, xcom, JSON.stringify(down), dagPools(spec), QUEUE_LIMIT,
  ]);
  const reply = row!.r;
  if (!reply.finished) return { state: null, jobs: [], runState: null, queueBusy: false };
  const jobs = reply.jobs ?? [];
  const queueBusy = reply.queue_busy ?? false;
  if (state === 'up_for_retry') return { state, jobs, runState: null, queueBusy };

  // Outcomes the shortcut cannot settle: cascades of failure or skip, and rules
  // without a shortcut whose answer is not "keep waiting".
  const needsFullDecision = state !== 'success' || (reply.not_ready ?? []).some((n) => {
    const downTask = spec.tasks.find((t) => t.task_id === n.task_id);
    if (!downTask) return false;
    const states = downTask.upstream.map((u) => (u === task.task_id ? 'success' : n.states[u] ?? null));
    return evaluateTriggerRule(downTask.trigger_rule, countUpstream(states)).kind !== 'wait';
  });
  if (!needsFullDecision && !reply.run_may_be_done) return { state, jobs, runState: null, queueBusy };
  return db.transaction(async (trx) => {
    if (needsFullDecision) {
      await decideWholeRun(trx, spec, run, new Date());
      jobs.push(...await queueScheduled(trx, { dagId: spec.dag_id, pools: dagPools(spec), limit: QUEUE_LIMIT }));
    }
    const runState = jobs.length === 0 ? await finalizeRunIfDone(trx, spec, run.id) : null;
    return { state, jobs, runState, queueBusy };
  });
}

function finalState(outcome: Outcome, ti: FinishingTask): TaskState {
  if (outcome.kind === 'success') return 'success';
  if (outcome.kind === 'skipped') return 'skipped';
  return outcome.retryable && canRetry(ti.try_number, ti.max_tries) ? 'up_for_retry' : 'failed';
}

interface DownCondition { task_id: string; others: string[]; ok: string[] | null }

/** Per downstream task: its other upstreams and the states that make it ready (spec-derived, cached). */
const conditionCache = new WeakMap<TaskSpec, DownCondition[]>();

function downstreamConditions(spec: DagSpec, task: TaskSpec): DownCondition[] {
  const hit = conditionCache.get(task);
  if (hit) return hit;
  const conditions = task.downstream.flatMap((id) => {
    const d = spec.tasks.find((t) => t.task_id === id);
    if (!d) return [];
    // depends_on_past needs the previous run: leave such tasks to the full evaluator.
    const ok = d.depends_on_past ? null : readyAfterUpstreamSuccess(d.trigger_rule);
    return [{ task_id: id, others: d.upstream.filter((u) => u !== task.task_id), ok }];
  });
  conditionCache.set(task, conditions);
  return conditions;
}
