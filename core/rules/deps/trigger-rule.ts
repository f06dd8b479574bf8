/**
 * The task's trigger rule against its direct upstreams (Airflow's TriggerRuleDep).
 * Passes only on a 'ready' decision; a 'skip' or 'upstream_failed' decision fails
 * this dep with the reason, and the scheduler applies that state separately.
 */
import { evaluateTriggerRule } from '../trigger-rules.ts';
import { fail, pass, type DepStatus, type TiDepContext } from './types.ts';

const NAME = 'Trigger Rule';

export function triggerRuleMet(ctx: TiDepContext): DepStatus {
  const rule = ctx.task.trigger_rule;
  const u = ctx.upstream;
  const d = evaluateTriggerRule(rule, u);
  if (d.kind === 'ready') {
    if (u.total === 0) return pass(NAME, 'The task instance did not have any upstream tasks.');
    if (rule === 'always') return pass(NAME, "The task has the 'always' trigger rule.");
    return pass(NAME, `Trigger rule '${rule}' is met (success=${u.success}, skipped=${u.skipped}, failed=${u.failed}, upstream_failed=${u.upstream_failed}, removed=${u.removed}, done=${u.done} of ${u.total}).`);
  }
  return fail(NAME, d.reason);
}
