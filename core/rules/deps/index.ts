/**
 * Dependency rule sets, in the order their reasons are shown.
 *
 * SCHEDULE_DEPS decide none/up_for_retry/up_for_reschedule -> scheduled (Airflow's task deps
 * checked in DagRun.task_instance_scheduling_decisions, plus run running and state valid).
 * QUEUE_DEPS decide scheduled -> queued: the capacity checks that must be re-done inside the
 * locked transaction that claims the slot (Airflow's REQUEUEABLE/SCHEDULER_QUEUED deps).
 */
import { dagTiSlotsAvailable } from './dag-ti-slots-available.ts';
import { dagUnpaused } from './dag-unpaused.ts';
import { dagrunRunning } from './dagrun-running.ts';
import { notInRetryPeriod } from './not-in-retry-period.ts';
import { poolExists } from './pool-exists.ts';
import { poolSlotsAvailable } from './pool-slots-available.ts';
import { pastDependencyUnmet, prevDagrunSucceeded } from './prev-dagrun.ts';
import { readyToReschedule } from './ready-to-reschedule.ts';
import { taskConcurrency } from './task-concurrency.ts';
import { triggerRuleMet } from './trigger-rule.ts';
import type { Dep, DepStatus, TiDepContext } from './types.ts';
import { validStateForScheduling } from './valid-state.ts';

export type { Dep, DepStatus, TiDepContext } from './types.ts';
export type { PreviousState } from './prev-dagrun.ts';
export { SCHEDULABLE_STATES } from './valid-state.ts';
export {
  dagTiSlotsAvailable, dagUnpaused, dagrunRunning, notInRetryPeriod, poolExists, poolSlotsAvailable,
  pastDependencyUnmet, prevDagrunSucceeded, readyToReschedule, taskConcurrency, triggerRuleMet, validStateForScheduling,
};

export const SCHEDULE_DEPS: readonly Dep[] = Object.freeze([
  dagrunRunning, validStateForScheduling, notInRetryPeriod, readyToReschedule, triggerRuleMet, prevDagrunSucceeded,
]);

export const QUEUE_DEPS: readonly Dep[] = Object.freeze([
  dagUnpaused, poolExists, poolSlotsAvailable, dagTiSlotsAvailable, taskConcurrency,
]);

/** Every dep's status, in order (all are evaluated, so the API can show the full picture). */
export function evaluateDeps(deps: readonly Dep[], ctx: TiDepContext): DepStatus[] {
  return deps.map((dep) => dep(ctx));
}

/** Only the deps that did not pass: empty means the transition may happen. */
export function failingDeps(deps: readonly Dep[], ctx: TiDepContext): DepStatus[] {
  return evaluateDeps(deps, ctx).filter((s) => !s.passed);
}
