/**
 * The live operator for a task: rebuilt from its serialized arguments when its type is
 * in the registry, otherwise (functions, callbacks) taken from the imported DAG file,
 * cached per file version so a file is imported once per version, not once per task.
 */
import type { BaseOperator } from '../core/authoring/base-operator.ts';
import type { DAG } from '../core/authoring/dag.ts';
import type { DagSpec, TaskSpec } from '../core/dag/spec.ts';
import { loadDagFile } from '../core/dag/load-file.ts';
import { registerUpdraftSpecifier } from '../core/dag/register-specifier.ts';
import { OPERATOR_REGISTRY } from '../operators/registry.ts';

const dagFiles = new Map<string, Promise<DAG[]>>();
/** Keyed by the cached TaskSpec object, itself one per DAG version (spec-cache.ts). */
const rebuilt = new WeakMap<TaskSpec, BaseOperator>();

/**
 * `mapValues`: a mapped instance's own argument values. A registry operator is then
 * built from them (validating them); a DAG-file operator is the file's, and the caller
 * merges the values into its arguments.
 */
export async function operatorFor(spec: DagSpec, task: TaskSpec, versionId: number, mapValues?: Record<string, unknown> | null): Promise<BaseOperator> {
  // An operator class defined in the DAG file itself is not in the registry either.
  if (task.needs_dag_file || !OPERATOR_REGISTRY.has(task.operator)) {
    const key = `${spec.fileloc}#${versionId}`;
    let loading = dagFiles.get(key);
    if (!loading) {
      registerUpdraftSpecifier();
      loading = loadDagFile(spec.fileloc, OPERATOR_REGISTRY, String(versionId));
      dagFiles.set(key, loading);
      loading.catch(() => dagFiles.delete(key));
    }
    const dag = (await loading).find((d) => d.dag_id === spec.dag_id);
    if (!dag) throw new Error(`DAG file ${spec.fileloc} no longer defines DAG "${spec.dag_id}"`);
    return dag.getTask(task.task_id);
  }
  // Rebuilding validates the arguments again; an operator is immutable, so keep it.
  const cached = mapValues ? undefined : rebuilt.get(task);
  if (cached) return cached;
  const factory = OPERATOR_REGISTRY.get(task.operator);
  if (!factory) throw new Error(`unknown operator type "${task.operator}" for task "${task.task_id}"`);
  const op = factory({ ...task.args, ...mapValues, task_id: task.task_id });
  if (!mapValues) rebuilt.set(task, op);
  return op;
}
