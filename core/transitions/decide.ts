/**
 * The pure heart of scheduling: given a run's task instances, decide which pending ones
 * become scheduled, skipped or upstream_failed. Walks tasks in topological order and
 * applies each decision before looking further, so skips and failures cascade in one
 * pass. No I/O: the scheduler and the worker's finish transaction both call it.
 */
import type { DagSpec } from '../dag/spec.ts';
import type { TaskStateOrNone } from '../model/states.ts';
import { countUpstream, evaluateTriggerRule } from '../rules/index.ts';

export interface TiState {
  id: number;
  task_id: string;
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
}

export interface DecideInput {
  spec: DagSpec;
  /** The run's task instances by task id (unmapped: one per task). */
  tis: ReadonlyMap<string, TiState>;
  /** Decide only these tasks (others are context); all when absent. */
  only?: ReadonlySet<string>;
  /** For depends_on_past tasks: the task's state in the previous run. */
  previous: ReadonlyMap<string, TaskStateOrNone | 'no_previous_run'>;
  now: Date;
}

export function decidePending(input: DecideInput): Decision[] {
  const states = new Map<string, TaskStateOrNone>();
  for (const [taskId, ti] of input.tis) states.set(taskId, ti.state);
  const decisions: Decision[] = [];

  for (const task of input.spec.tasks) {
    const ti = input.tis.get(task.task_id);
    if (!ti || (input.only && !input.only.has(task.task_id))) continue;
    const to = decideOne(task.task_id, ti, input, states, task.upstream, task.trigger_rule, task.depends_on_past);
    if (!to) continue;
    states.set(task.task_id, to.to);
    decisions.push({ ti_id: ti.id, task_id: task.task_id, from: ti.state, to: to.to, reason: to.reason });
  }
  return decisions;
}

function decideOne(
  taskId: string, ti: TiState, input: DecideInput, states: ReadonlyMap<string, TaskStateOrNone>,
  upstream: readonly string[], rule: DagSpec['tasks'][number]['trigger_rule'], dependsOnPast: boolean,
): { to: DecidedState; reason: string | null } | null {
  if (ti.state === 'up_for_retry') {
    return !ti.next_retry_at || ti.next_retry_at <= input.now ? { to: 'scheduled', reason: null } : null;
  }
  if (ti.state === 'up_for_reschedule') {
    return !ti.reschedule_at || ti.reschedule_at <= input.now ? { to: 'scheduled', reason: null } : null;
  }
  if (ti.state !== null) return null;

  const decision = evaluateTriggerRule(rule, countUpstream(upstream.map((u) => states.get(u) ?? null)));
  if (decision.kind === 'skip') return { to: 'skipped', reason: decision.reason };
  if (decision.kind === 'upstream_failed') return { to: 'upstream_failed', reason: decision.reason };
  if (decision.kind === 'wait') return null;
  if (dependsOnPast) {
    const prev = input.previous.get(taskId) ?? 'no_previous_run';
    if (prev !== 'no_previous_run' && prev !== 'success' && prev !== 'skipped') return null;
  }
  return { to: 'scheduled', reason: null };
}
