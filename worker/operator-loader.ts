/**
 * The live operator for a task: rebuilt from its serialized arguments when its type is
 * in the registry, otherwise (functions, callbacks) taken from the imported DAG file,
 * cached per file version so a file is imported once per version, not once per task.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BaseOperator } from '../core/authoring/base-operator.ts';
import type { DAG } from '../core/authoring/dag.ts';
import type { DagSpec, TaskSpec } from '../core/dag/spec.ts';
import { loadDagFile } from '../core/dag/load-file.ts';
import { registerUpdraftSpecifier } from '../core/dag/register-specifier.ts';
import { OPERATOR_REGISTRY } from '../operators/registry.ts';

const dagFiles = new Map<string, Promise<DAG[]>>();
/** Keyed by the cached TaskSpec object, itself one per DAG version (spec-cache.ts). */
const rebuilt = new WeakMap<TaskSpec, BaseOperator>();

/** The source of the DAG file as the DAG version was parsed from it (dag_version.source_code). */
export interface DagSource { code: string }

/**
 * `mapValues`: a mapped instance's own argument values. A registry operator is then
 * built from them (validating them); a DAG-file operator is the file's, and the caller
 * merges the values into its arguments. `source`: import the file as it was for this
 * version, even if it changed on disk since (durable steps finish on their version).
 */
export async function operatorFor(spec: DagSpec, task: TaskSpec, versionId: number, mapValues?: Record<string, unknown> | null,
  source?: DagSource): Promise<BaseOperator> {
  // An operator class defined in the DAG file itself is not in the registry either.
  if (task.needs_dag_file || !OPERATOR_REGISTRY.has(task.operator)) {
    const file = source ? fileOfVersion(spec.fileloc, versionId, source.code) : spec.fileloc;
    const key = `${file}#${versionId}`;
    let loading = dagFiles.get(key);
    if (!loading) {
      registerUpdraftSpecifier();
      loading = loadDagFile(file, OPERATOR_REGISTRY, String(versionId));
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

/**
 * The DAG file itself while it still holds the version's source; else a copy of that
 * source in a per-version temporary folder. (A DAG file importing its neighbours by a
 * relative path cannot be loaded from the copy: such imports resolve against the copy.)
 */
function fileOfVersion(fileloc: string, versionId: number, code: string): string {
  let current: string | null = null;
  try { current = fs.readFileSync(fileloc, 'utf8'); } catch { /* deleted since: use the copy */ }
  if (current === code) return fileloc;
  const dir = path.join(os.tmpdir(), 'updraft-dag-versions', String(versionId));
  const copy = path.join(dir, path.basename(fileloc));
  if (!fs.existsSync(copy)) {
    fs.mkdirSync(dir, { recursive: true });
    // Written aside then renamed: another worker on this machine may be importing it.
    const tmp = `${copy}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, copy);
  }
  return copy;
}
