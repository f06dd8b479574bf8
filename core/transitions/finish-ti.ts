/**
 * Record a try's outcome and queue the downstream tasks that became ready, so the next
 * hop does not wait for a scheduler loop. The common case is one call of the SQL
 * function `updraft_finish_ti` (migrations/002): outcome, XCom, downstream decision for
 * rules with a "ready when the other upstreams are in S" shortcut, and capped queuing,
 * in one round trip and one commit. Everything else (a failure or skip that cascades, a
 * rule without the shortcut) is decided by the full evaluator in a second transaction.
 *
 * Finishes of tasks without downstream tasks may be sent several in one statement
 * (`finishMany`): they lock only their own rows, in id order, so a batch cannot
 * deadlock with another.
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
  | { kind: 'reschedule'; at: Date }
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

/** One finish, compiled: the SQL call's arguments plus what is needed afterwards. */
export interface PreparedFinish {
  spec: DagSpec;
  run: RunRef;
  task: TaskSpec;
  state: TaskState;
  /** True when the task has downstream tasks to decide (then it is sent alone). */
  hasDownstream: boolean;
  /** The task skipped tasks itself: the whole run is decided after the finish. */
  cascade: boolean;
  args: {
    ti_id: number; try: number; expected: string; state: string; end_date: string; duration: number;
    next_retry: string | null; error: string | null; xcom: unknown; down: DownCondition[]; pools: string[]; qlimit: number;
  };
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
 * became ready, and slots freed by finishers that found the cap lock busy.
 */
const QUEUE_LIMIT = 32;

/** `cascade`: the task skipped other tasks itself (branching): decide the whole run afterwards. */
export function prepareFinish(spec: DagSpec, run: RunRef, ti: FinishingTask, outcome: Outcome, endDate: Date | string, cascade = false): PreparedFinish {
  const task = spec.tasks.find((t) => t.task_id === ti.task_id);
  if (!task) throw new Error(`task "${ti.task_id}" is not in DAG "${spec.dag_id}"`);
  const endIso = typeof endDate === 'string' ? endDate : endDate.toISOString();
  const end = new Date(endIso);
  const state = finalState(outcome, ti);
  const nextRetry = state === 'up_for_retry'
    ? new Date(end.getTime() + retryDelayMs(task, { dag_id: spec.dag_id, task_id: ti.task_id, logical_date: run.logical_date, try_number: ti.try_number })).toISOString()
    : outcome.kind === 'reschedule' ? outcome.at.toISOString() : null;
  // A mapped instance is one of several: whether its downstream tasks are ready depends
  // on its siblings, which the full evaluator counts.
  const mappedWithDownstream = Boolean(task.mapped) && task.downstream.length > 0;
  const down = state === 'success' && !task.mapped ? downstreamConditions(spec, task) : [];
  return {
    spec, run, task, state, hasDownstream: down.length > 0, cascade: cascade || mappedWithDownstream,
    args: {
      ti_id: ti.id, try: ti.try_number, expected: ti.expected_state, state, end_date: endIso,
      duration: (end.getTime() - ti.start_date.getTime()) / 1000, next_retry: nextRetry,
      error: outcome.kind === 'failed' ? outcome.error : null,
      xcom: outcome.kind === 'success' && outcome.xcom !== undefined && task.do_xcom_push ? outcome.xcom : null,
      down, pools: dagPools(spec), qlimit: QUEUE_LIMIT,
    },
  };
}

/**
 * Send prepared finishes in one statement, then settle each. A batch (only tasks without
 * downstream tasks, see PreparedFinish.hasDownstream) refills each DAG once at its end;
 * the refill's jobs and "busy" flag ride on the batch's first finish of that DAG.
 */
export async function finishMany(db: Db, prepared: readonly PreparedFinish[]): Promise<FinishResult[]> {
  const single = prepared.length === 1 && prepared[0]!.hasDownstream;
  const replies = single
    ? await rows<{ ti_id: number | null; r: FinishReply & RefillReply }>(db, `
      select x.ti_id, updraft_finish_ti(x.ti_id, x.try, x.expected, x.state, x.end_date, x.duration, x.next_retry,
        x.error, x.xcom, x.down, x.pools, x.qlimit) as r
      from jsonb_to_recordset(?::jsonb) as x(ti_id bigint, try int, expected text, state text,
        end_date timestamptz, duration float8, next_retry timestamptz, error text, xcom jsonb, down jsonb,
        pools text[], qlimit int)`, [JSON.stringify(prepared.map((p) => p.args))])
    : await rows<{ ti_id: number | null; r: FinishReply & RefillReply }>(db,
      'select ti_id, r from updraft_finish_tis(?::jsonb, ?)', [JSON.stringify(prepared.map((p) => p.args)), QUEUE_LIMIT]);
  const byId = new Map(replies.filter((x) => x.ti_id !== null).map((x) => [x.ti_id!, x.r]));
  const refills = new Map(replies.filter((x) => x.ti_id === null).map((x) => [x.r.refill_dag!, x.r]));
  const results = await Promise.all(prepared.map((p) => settle(db, p, byId.get(p.args.ti_id) ?? { finished: false })));
  prepared.forEach((p, i) => {
    const refill = refills.get(p.spec.dag_id);
    if (!refill) return;
    refills.delete(p.spec.dag_id);
    results[i]!.jobs.push(...(refill.jobs ?? []));
    results[i]!.queueBusy ||= refill.queue_busy ?? false;
  });
  return results;
}

interface RefillReply { refill_dag?: string }

export async function finishTaskInstance(
  db: Db, spec: DagSpec, run: RunRef, ti: FinishingTask, outcome: Outcome, endDate: Date | string,
): Promise<FinishResult> {
  const [result] = await finishMany(db, [prepareFinish(spec, run, ti, outcome, endDate)]);
  return result!;
}

async function settle(db: Db, p: PreparedFinish, reply: FinishReply): Promise<FinishResult> {
  const { spec, run, task, state } = p;
  if (!reply.finished) return { state: null, jobs: [], runState: null, queueBusy: false };
  const jobs = reply.jobs ?? [];
  const queueBusy = reply.queue_busy ?? false;
  if (state === 'up_for_retry' || state === 'up_for_reschedule') return { state, jobs, runState: null, queueBusy };

  // Outcomes the shortcut cannot settle: cascades of failure or skip, and rules
  // without a shortcut whose answer is not "keep waiting".
  const needsFullDecision = state !== 'success' || p.cascade || (reply.not_ready ?? []).some((n) => {
    const downTask = spec.tasks.find((t) => t.task_id === n.task_id);
    if (!downTask) return false;
    // The reply holds one state per task; a mapped upstream has several: decide fully.
    if (downTask.mapped || downTask.upstream.some((u) => spec.tasks.find((t) => t.task_id === u)?.mapped)) return true;
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
  if (outcome.kind === 'reschedule') return 'up_for_reschedule';
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
    // depends_on_past needs the previous run, a mapped task needs expanding, and a mapped
    // upstream has several instances (the shortcut reads one per task): leave those to
    // the full evaluator.
    const needsFull = d.depends_on_past || Boolean(d.mapped)
      || d.upstream.some((u) => Boolean(spec.tasks.find((t) => t.task_id === u)?.mapped));
    const ok = needsFull ? null : readyAfterUpstreamSuccess(d.trigger_rule);
    return [{ task_id: id, others: d.upstream.filter((u) => u !== task.task_id), ok }];
  });
  conditionCache.set(task, conditions);
  return conditions;
}

const poolCache = new WeakMap<DagSpec, string[]>();
export function dagPools(spec: DagSpec): string[] {
  let pools = poolCache.get(spec);
  if (!pools) { pools = [...new Set(spec.tasks.map((t) => t.pool))].sort(); poolCache.set(spec, pools); }
  return pools;
}
