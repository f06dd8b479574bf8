/**
 * Which tasks a branch skips, as Airflow's SkipMixin decides: the direct downstream tasks
 * not chosen, except those also reachable from a chosen task (a join after the branch
 * must not be skipped because it hangs off an unchosen path too).
 */
import type { DagSpec } from '../../core/dag/spec.ts';

function descendants(spec: DagSpec, from: readonly string[]): Set<string> {
  const byId = new Map(spec.tasks.map((t) => [t.task_id, t]));
  const seen = new Set<string>();
  const frontier = [...from];
  while (frontier.length) {
    for (const next of byId.get(frontier.pop()!)?.downstream ?? []) {
      if (!seen.has(next)) { seen.add(next); frontier.push(next); }
    }
  }
  return seen;
}

export function directDownstream(spec: DagSpec, taskId: string): string[] {
  return spec.tasks.find((t) => t.task_id === taskId)?.downstream ?? [];
}

/** Normalize a branch's answer (an id, a list of ids, or nothing) and check each id. */
export function chosenTasks(spec: DagSpec, taskId: string, answer: unknown): string[] {
  const ids = answer === null || answer === undefined ? [] : Array.isArray(answer) ? answer : [answer];
  const direct = directDownstream(spec, taskId);
  for (const id of ids) {
    if (typeof id !== 'string' || !direct.includes(id)) {
      throw new Error(`branch "${taskId}" chose ${JSON.stringify(id)}, which is not one of its direct downstream tasks (${direct.join(', ') || 'none'})`);
    }
  }
  return ids as string[];
}

export function tasksToSkipForBranch(spec: DagSpec, taskId: string, chosen: readonly string[]): string[] {
  const keep = new Set([...chosen, ...descendants(spec, chosen)]);
  return directDownstream(spec, taskId).filter((id) => !keep.has(id));
}

/** Every task downstream of this one, however far. */
export function allDownstream(spec: DagSpec, taskId: string): string[] {
  return [...descendants(spec, [taskId])];
}
