/**
 * The hot path's shortcut, derived from the trigger rules rather than written again:
 * after an upstream task succeeds, is "every other upstream is in state set S" exactly
 * the condition for the downstream task to become ready? For most rules it is (all_success:
 * S = {success}; one_success: S = every state). The set is found by asking
 * evaluateTriggerRule, then checked against it on every combination of up to three other
 * upstreams; a rule for which the shortcut would ever disagree gets null, and its tasks
 * are decided by the full evaluator instead.
 */
import { TASK_STATES, TRIGGER_RULES, type TaskStateOrNone, type TriggerRule } from '../model/states.ts';
import { countUpstream, evaluateTriggerRule } from './trigger-rules.ts';

/** States as the database stores them, with null spelled "none" for SQL arrays. */
export type StateToken = (typeof TASK_STATES)[number] | 'none';

const ALL: readonly TaskStateOrNone[] = [null, ...TASK_STATES];
const token = (s: TaskStateOrNone): StateToken => s ?? 'none';

function readyAfterSuccess(rule: TriggerRule, others: readonly TaskStateOrNone[]): boolean {
  return evaluateTriggerRule(rule, countUpstream(['success', ...others])).kind === 'ready';
}

function derive(rule: TriggerRule): StateToken[] | null {
  const allowed = ALL.filter((s) => readyAfterSuccess(rule, [s]));
  const inSet = (s: TaskStateOrNone) => allowed.includes(s);
  const check = (others: TaskStateOrNone[]): boolean => readyAfterSuccess(rule, others) === others.every(inSet);
  if (!check([])) return null;
  for (const a of ALL) {
    if (!check([a])) return null;
    for (const b of ALL) {
      if (!check([a, b])) return null;
      for (const c of ALL) if (!check([a, b, c])) return null;
    }
  }
  return allowed.map(token);
}

let cache: Map<TriggerRule, StateToken[] | null> | null = null;

/** S for the rule, or null when the shortcut does not apply to it. */
export function readyAfterUpstreamSuccess(rule: TriggerRule): StateToken[] | null {
  cache ??= new Map(TRIGGER_RULES.map((r) => [r, derive(r)]));
  return cache.get(rule) ?? null;
}
