/**
 * The pure heart of scheduling: given a run's task instances, decide which pending ones
 * become scheduled, skipped or upstream_failed. Walks tasks in topological order and
 * applies each decision before looking further, so skips and failures cascade in one
 * pass. No I/O: the scheduler and the worker's finish transaction both call it.
 *
 * A mapped task has several instances (map_index 0..N-1), or one placeholder
 * (map_index -1) until it is expanded; a downstream task counts every instance of it,
 * as Airflow does. A ready placeholder is not scheduled here but marked for expansion,
 * which needs the upstream XCom (apply-decisions.ts does it).
 */
import type { DagSpec, TaskSpec } from '../dag/spec.ts';
import type { TaskStateOrNone } from '../model/states.ts';
import { countUpstream, evaluateTriggerRule, pastDependencyUnmet, type PreviousState } from '../rules/index.ts';

export interface TiState {
  id: number;
  task_id: string;
  map_index: number;
  state: TaskStateOrNone;
  next_retry_at: Date | null;
  reschedule_at: Date | null;
}

export type DecidedState = 'scheduled' | 'skipped' | 'upstream_failed';

export interface Decision {
  ti_id: number;
  task_id: string;
  from: TaskStateOrNone;
  to: DecidedState;
  reason: string | null;
  /** A mapped task became ready: expand it instead of scheduling this instance. */
  expand?: boolean;
}

export interface DecideInput {
  spec: DagSpec;
  /** The run's task instances by task id (one, or one per map index). */
  tis: ReadonlyMap<string, readonly TiState[]>;
  /** Decide only these tasks (others are context); all when absent. */
  only?: ReadonlySet<string>;
  /** For depends_on_past tasks (and the downstream tasks of wait_for_downstream ones): states in the previous run. */
  previous: ReadonlyMap<string, PreviousState>;
  now: Date;
}

export function decidePending(input: DecideInput): Decision[] {
  const states = new Map<string, TaskStateOrNone[]>();
  for (const [taskId, tis] of input.tis) states.set(taskId, tis.map((t) => t.state));
  const decisions: Decision[] = [];

  for (const task of input.spec.tasks) {
    const tis = input.tis.get(task.task_id);
    if (!tis || (input.only && !input.only.has(task.task_id))) continue;
    const after = [...(states.get(task.task_id) ?? [])];
    let expanding = false;
    tis.forEach((ti, i) => {
      const to = decideOne(task, ti, input, states);
      if (!to) return;
      after[i] = to.to;
      // One expansion covers every undecided instance of the task.
      const expand = to.to === 'scheduled' && ti.state === null && task.mapped !== null && task.mapped !== undefined;
      if (expand && expanding) return;
      expanding ||= expand;
      decisions.push({ ti_id: ti.id, task_id: task.task_id, from: ti.state, to: to.to, reason: to.reason, ...(expand ? { expand } : {}) });
    });
    states.set(task.task_id, after);
  }
  return decisions;
}

function decideOne(
  task: TaskSpec, ti: TiState, input: DecideInput, states: ReadonlyMap<string, readonly TaskStateOrNone[]>,
): { to: DecidedState; reason: string | null } | null {
  if (ti.state === 'up_for_retry') {
    return !ti.next_retry_at || ti.next_retry_at <= input.now ? { to: 'scheduled', reason: null } : null;
  }
  if (ti.state === 'up_for_reschedule') {
    return !ti.reschedule_at || ti.reschedule_at <= input.now ? { to: 'scheduled', reason: null } : null;
  }
  if (ti.state !== null) return null;

  const upstreamStates = task.upstream.flatMap((u) => states.get(u) ?? [null]);
  const decision = evaluateTriggerRule(task.trigger_rule, countUpstream(upstreamStates));
  if (decision.kind === 'skip') return { to: 'skipped', reason: decision.reason };
  if (decision.kind === 'upstream_failed') return { to: 'upstream_failed', reason: decision.reason };
  if (decision.kind === 'wait') return null;
  if (task.depends_on_past) {
    const previous = input.previous.get(task.task_id) ?? 'no_previous_run';
    if (pastDependencyUnmet(task, previous, input.previous)) return null;
  }
  return { to: 'scheduled', reason: null };
}
