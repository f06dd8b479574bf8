/**
 * Serialized DAGs by version id. Versions never change once written, so a process can
 * keep them for its lifetime: the hot path reads a DAG's structure without a query.
 */
import type { DagSpec } from '../dag/spec.ts';
import { rows, type Executor } from './sql.ts';

const cache = new Map<number, DagSpec>();

export async function loadSpec(db: Executor, versionId: number): Promise<DagSpec> {
  const hit = cache.get(versionId);
  if (hit) return hit;
  const [row] = await rows<{ serialized: DagSpec }>(db, 'select serialized from dag_version where id = ?', [versionId]);
  if (!row) throw new Error(`DAG version ${versionId} does not exist`);
  cache.set(versionId, row.serialized);
  return row.serialized;
}
