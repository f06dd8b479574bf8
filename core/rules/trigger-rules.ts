/**
 * Trigger rules: given the outcomes of a task's direct upstream task instances,
 * decide whether the task may run now, must keep waiting, or can never run
 * (and then whether it becomes `skipped` or `upstream_failed`).
 *
 * Mirrors Airflow's TriggerRuleDep (ti_deps/deps/trigger_rule_dep.py), which
 * does two things in order: with `flag_upstream_failed` it first decides whether
 * the rule can no longer be met and flags the task skipped/upstream_failed; only
 * then does it check whether the rule is met. `evaluateTriggerRule` folds both
 * into one decision so the scheduler and the "why is my task not running?" API
 * read the same answer. Only counts of *finished* upstreams matter, exactly as
 * in Airflow: running, queued, up_for_retry, deferred... all count as not done.
 *
 * Updraft choices where Airflow is unclear (see the notes at each rule):
 * - `removed` upstreams are ignored, as if they were not upstream at all. Airflow
 *   only does this for mapped task instances; for a plain task a removed upstream
 *   would make all_success/none_failed/all_skipped wait forever (a deadlock).
 *   When every upstream is removed the task behaves as having no upstream.
 * - There are no setup/teardown tasks, so `all_done_setup_success` is all_done.
 */
import type { TaskStateOrNone, TriggerRule } from '../model/states.ts';

export interface UpstreamCounts {
  total: number;
  success: number;
  skipped: number;
  failed: number;
  upstream_failed: number;
  removed: number;
  /** finished: success+skipped+failed+upstream_failed+removed */
  done: number;
}

export type RuleDecision =
  | { kind: 'ready' } // dependencies met: schedule it
  | { kind: 'wait'; reason: string } // not yet decidable
  | { kind: 'skip'; reason: string } // can never be met because of skips: mark skipped
  | { kind: 'upstream_failed'; reason: string }; // can never be met because of failures: mark upstream_failed

/** Count upstream task-instance states the way Airflow's _UpstreamTIStates does. */
export function countUpstream(states: readonly TaskStateOrNone[]): UpstreamCounts {
  const c: UpstreamCounts = { total: states.length, success: 0, skipped: 0, failed: 0, upstream_failed: 0, removed: 0, done: 0 };
  for (const s of states) {
    switch (s) {
      case 'success': c.success++; break;
      case 'skipped': c.skipped++; break;
      case 'failed': c.failed++; break;
      case 'upstream_failed': c.upstream_failed++; break;
      case 'removed': c.removed++; break;
      default: continue; // unfinished (or none): counts toward total only
    }
    c.done++;
  }
  return c;
}

const READY: RuleDecision = { kind: 'ready' };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "1 failed and 2 upstream_failed" (only the non-zero parts). */
function listCounts(parts: ReadonlyArray<readonly [number, string]>): string {
  const shown = parts.filter(([n]) => n > 0).map(([n, label]) => `${n} ${label}`);
  return shown.length === 0 ? 'none' : shown.join(' and ');
}

/**
 * Evaluate `rule` against the counts of a task's direct upstreams.
 * Zero upstreams (after ignoring removed ones) and `always` are always ready,
 * as in Airflow, where those checks come before any rule logic.
 */
export function evaluateTriggerRule(rule: TriggerRule, c: UpstreamCounts): RuleDecision {
  const n = c.total - c.removed; // upstreams that count (removed ones are ignored)
  if (n <= 0 || rule === 'always') return READY;

  const pending = c.total - c.done;
  const allDone = pending <= 0;
  const failures = c.failed + c.upstream_failed;
  const all = n === 1 ? 'its 1 upstream task' : `all ${n} upstream tasks`;
  const oneOf = n === 1 ? 'its 1 upstream task' : `at least one of its ${n} upstream tasks`;
  const removedNote = c.removed > 0 ? ` (${plural(c.removed, 'removed upstream task')} ignored)` : '';
  const notDone = `${pending} still running/not done (done=${c.done})`;
  const failedList = listCounts([[c.failed, 'failed'], [c.upstream_failed, 'upstream_failed']]);
  const say = (requirement: string, detail: string): string => `${rule} requires ${requirement}; ${detail}${removedNote}`;
  const wait = (requirement: string, detail = notDone): RuleDecision => ({ kind: 'wait', reason: say(requirement, detail) });
  const skip = (requirement: string, detail: string): RuleDecision =>
    ({ kind: 'skip', reason: say(requirement, `${detail}, so it can never be met: the task is skipped`) });
  const upstreamFailed = (requirement: string, detail: string): RuleDecision =>
    ({ kind: 'upstream_failed', reason: say(requirement, `${detail}, so it can never be met: the task is upstream_failed`) });

  switch (rule) {
    case 'all_success': {
      // Failure wins over skip when both are present (Airflow checks failures first).
      const req = `${all} to succeed`;
      if (failures > 0) return upstreamFailed(req, failedList);
      if (c.skipped > 0) return skip(req, `${c.skipped} skipped (skips cascade through all_success)`);
      return n - c.success > 0 ? wait(req) : READY;
    }
    case 'all_failed': {
      // Any success or skip makes "all failed" impossible; Airflow marks that skipped.
      const req = `${all} to fail (failed or upstream_failed)`;
      if (c.success + c.skipped > 0) return skip(req, listCounts([[c.success, 'succeeded'], [c.skipped, 'skipped']]));
      return n - failures > 0 ? wait(req) : READY;
    }
    case 'all_done':
    case 'all_done_setup_success': {
      // all_done_setup_success also needs one upstream *setup* task to succeed (and skips when all
      // setups skipped); Updraft has no setup/teardown tasks, so it behaves exactly as all_done.
      const req = `${all} to finish, whatever the outcome`;
      return allDone ? READY : wait(req);
    }
    case 'all_done_min_one_success': {
      // Airflow 3.1 code (not its docs' wording): any skipped upstream skips the task at once;
      // once everything else is done with no success it is upstream_failed.
      const req = `${all} to finish without being skipped, and at least one to succeed`;
      if (c.skipped > 0) return skip(req, `${c.skipped} skipped`);
      if (!allDone) return wait(req);
      return c.success === 0 ? upstreamFailed(req, `all finished but none succeeded (${failedList})`) : READY;
    }
    case 'one_success': {
      // Fires on the first success without waiting for the rest. Once all are done with no
      // success: skipped if every (non-removed) upstream was skipped, upstream_failed otherwise.
      const req = `${oneOf} to succeed`;
      if (c.success > 0) return READY;
      if (!allDone) return wait(req, `none has succeeded yet; ${notDone}`);
      if (c.skipped === n) return skip(req, `all finished and all ${c.skipped} were skipped`);
      return upstreamFailed(req, `all finished and none succeeded (${listCounts([[c.failed, 'failed'], [c.upstream_failed, 'upstream_failed'], [c.skipped, 'skipped']])})`);
    }
    case 'one_failed': {
      const req = `${oneOf} to fail (failed or upstream_failed)`;
      if (failures > 0) return READY;
      if (!allDone) return wait(req, `none has failed yet; ${notDone}`);
      return skip(req, 'all finished and none failed');
    }
    case 'one_done': {
      // Airflow counts only `success` and `failed` here: upstream_failed and skipped do not fire it.
      const req = `${oneOf} to succeed or fail`;
      if (c.success + c.failed > 0) return READY;
      if (!allDone) return wait(req, `none has succeeded or failed yet; ${notDone}`);
      return skip(req, `all finished and none succeeded or failed (${listCounts([[c.skipped, 'skipped'], [c.upstream_failed, 'upstream_failed']])})`);
    }
    case 'none_failed': {
      const req = `none of ${all} to fail (each must succeed or be skipped)`;
      if (failures > 0) return upstreamFailed(req, failedList);
      return n - c.success - c.skipped > 0 ? wait(req) : READY;
    }
    case 'none_failed_min_one_success': {
      // The usual join after a branch: skipped siblings are fine, but if *every* upstream
      // was skipped the skip cascades.
      const req = `none of ${all} to fail and at least one to succeed`;
      if (failures > 0) return upstreamFailed(req, failedList);
      if (c.skipped === n) return skip(req, `all ${c.skipped} were skipped`);
      return n - c.success - c.skipped > 0 ? wait(req) : READY;
    }
    case 'none_skipped': {
      // A skip decides it at once; otherwise everything must be finished (any outcome).
      const req = `${all} to finish with none skipped`;
      if (c.skipped > 0) return skip(req, `${c.skipped} skipped`);
      return allDone ? READY : wait(req);
    }
    case 'all_skipped': {
      const req = `${all} to be skipped`;
      if (c.success + failures > 0) {
        return skip(req, listCounts([[c.success, 'succeeded'], [c.failed, 'failed'], [c.upstream_failed, 'upstream_failed']]));
      }
      return n - c.skipped > 0 ? wait(req) : READY;
    }
  }
}
