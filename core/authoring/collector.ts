/**
 * Collects the DAGs a DAG file creates while it is imported, the way Airflow finds
 * DAG objects at a module's top level. Loads are serialized by the loader, so one
 * collection is open at a time.
 */
import type { DAG } from './dag.ts';

const KEY = Symbol.for('updraft.dagCollector');
type Holder = { [KEY]?: DAG[] };

export function beginCollecting(): void {
  (globalThis as Holder)[KEY] = [];
}

export function endCollecting(): DAG[] {
  const dags = (globalThis as Holder)[KEY] ?? [];
  delete (globalThis as Holder)[KEY];
  return dags;
}

export function collect(dag: DAG): void {
  (globalThis as Holder)[KEY]?.push(dag);
}
