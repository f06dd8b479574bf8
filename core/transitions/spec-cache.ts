/**
 * Serialized DAGs by version id. Versions never change once written, so a process can
 * keep them for its lifetime: the hot path reads a DAG's structure without a query.
 * Keyed by database too: version ids restart at 1 in every database, and one process
 * may talk to several (tests, a reset database).
 */
import type { DagSpec } from '../dag/spec.ts';
import { rows, type Executor } from './sql.ts';

const cache = new Map<string, Map<number, DagSpec>>();

function databaseKey(db: Executor): string {
  const conn = (db.client as { config?: { connection?: unknown } }).config?.connection;
  if (typeof conn === 'string') return conn;
  const c = conn as { connectionString?: string; host?: string; port?: number; database?: string } | undefined;
  return c?.connectionString ?? `${c?.host}:${c?.port}/${c?.database}`;
}

export async function loadSpec(db: Executor, versionId: number): Promise<DagSpec> {
  const key = databaseKey(db);
  let specs = cache.get(key);
  if (!specs) { specs = new Map(); cache.set(key, specs); }
  const hit = specs.get(versionId);
  if (hit) return hit;
  const [row] = await rows<{ serialized: DagSpec }>(db, 'select serialized from dag_version where id = ?', [versionId]);
  if (!row) throw new Error(`DAG version ${versionId} does not exist`);
  specs.set(versionId, row.serialized);
  return row.serialized;
}
