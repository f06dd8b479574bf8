/**
 * The values a mapped task expands over: literal lists from the DAG, or upstream XComs
 * read from this run (a mapped upstream's values are collected in map_index order, as
 * Airflow does). Several expanded arguments form a cross product, the last one varying
 * fastest: map_index i picks one value of each.
 */
import { MAX_MAP_LENGTH, type MapSpec } from '../dag/spec.ts';
import { rows, type Executor } from './sql.ts';

export type MapLists = Array<{ name: string; values: unknown[] }>;

/** Each expanded argument's list, or an error naming the argument that is not a usable list. */
export async function loadMapLists(db: Executor, dagRunId: number, mapped: MapSpec): Promise<{ lists: MapLists } | { error: string }> {
  const lists: MapLists = [];
  for (const { name, source } of mapped.args) {
    if ('literal' in source) {
      lists.push({ name, values: source.literal });
      continue;
    }
    const { task_id, key } = source.xcom;
    const found = await rows<{ map_index: number; value: unknown }>(db,
      'select map_index, value from xcom where dag_run_id = ? and task_id = ? and key = ? order by map_index',
      [dagRunId, task_id, key]);
    const own = found.find((f) => f.map_index === -1);
    const value = own ? own.value : found.length ? found.map((f) => f.value) : undefined;
    const problem = unmappableReason(value);
    if (problem) return { error: `cannot expand "${name}" over the XCom "${key}" of task "${task_id}": ${problem}` };
    lists.push({ name, values: value as unknown[] });
  }
  return { lists };
}

/** Why a value cannot be expanded over (not a list, or too long), or null when it can. */
export function unmappableReason(value: unknown): string | null {
  if (value === undefined) return 'no value was pushed';
  if (!Array.isArray(value)) return `expected a list, got ${value === null ? 'null' : typeof value}`;
  if (value.length > MAX_MAP_LENGTH) return `it has ${value.length} values; at most ${MAX_MAP_LENGTH} instances are allowed`;
  return null;
}

export function mapLength(lists: MapLists): number {
  return lists.reduce((n, l) => n * l.values.length, 1);
}

/** The arguments of instance `mapIndex`: the cross product's element, last list fastest. */
export function valuesAt(lists: MapLists, mapIndex: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let rest = mapIndex;
  for (let i = lists.length - 1; i >= 0; i--) {
    const l = lists[i]!;
    out[l.name] = l.values[rest % l.values.length];
    rest = Math.floor(rest / l.values.length);
  }
  return out;
}
