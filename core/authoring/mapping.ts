/**
 * Dynamic task mapping, authoring side (Airflow's `partial(...).expand(...)`): one task
 * definition becomes N task instances at run time, one per value (map_index 0..N-1).
 * Values come from a literal list or from an upstream task's XCom (`upstream.output`).
 * What the values are is only known at run time, so the expanded arguments are
 * validated then, by the worker, when it builds each instance's operator.
 */
import { MAX_MAP_LENGTH, type MapSpec } from '../dag/spec.ts';
import { COMMON_ARG_NAMES } from './task-args.ts';

/** A reference to an upstream task's XCom (Airflow's XComArg, from `task.output`). */
export class XComArg {
  constructor(readonly task_id: string, readonly key = 'return_value') {}
}

/** Arguments being expanded while an operator is constructed (see `expandingArgs`). */
let expanding: ReadonlySet<string> | null = null;

/** While `partial(...).expand(...)` constructs the operator: the argument names that are mapped. */
export function expandingArgs(): ReadonlySet<string> | null {
  return expanding;
}

/** Construct an operator whose mapped arguments are not known yet. */
export function constructExpanding<T>(names: Iterable<string>, build: () => T): T {
  expanding = new Set(names);
  try {
    return build();
  } finally {
    expanding = null;
  }
}

/** Arguments that configure the task itself rather than its work: never mapped (as in Airflow). */
const UNMAPPABLE = new Set([...COMMON_ARG_NAMES, 'task_id', 'dag', 'task_group']);

/** The shape of `expand({...})`'s argument: checked before the operator is even built. */
export function checkExpandNames(where: string, map: Record<string, unknown>): void {
  if (!map || typeof map !== 'object' || Array.isArray(map) || Object.keys(map).length === 0) {
    throw new Error(`${where}: expand() needs an object of argument name -> list of values (or an upstream .output)`);
  }
  const bad = Object.keys(map).find((name) => UNMAPPABLE.has(name));
  if (bad) throw new Error(`${where}: "${bad}" cannot be mapped (give it to partial() instead)`);
}

/** Validate `expand({...})`'s argument and compile it to the serialized form. */
export function compileMapSpec(where: string, map: Record<string, unknown>): MapSpec {
  checkExpandNames(where, map);
  const args: MapSpec['args'] = [];
  for (const [name, source] of Object.entries(map)) {
    if (source instanceof XComArg || isXComArgLike(source)) {
      args.push({ name, source: { xcom: { task_id: source.task_id, key: source.key } } });
    } else if (Array.isArray(source)) {
      if (source.length > MAX_MAP_LENGTH) throw new Error(`${where}: expand(): "${name}" has ${source.length} values; at most ${MAX_MAP_LENGTH} instances are allowed`);
      args.push({ name, source: { literal: JSON.parse(JSON.stringify(source)) as unknown[] } });
    } else {
      throw new Error(`${where}: expand(): "${name}" must be a list or an upstream task's .output, got ${typeof source}`);
    }
  }
  return { args };
}

/** A DAG file compiled as CommonJS has its own copy of XComArg, so match by shape too. */
function isXComArgLike(v: unknown): v is XComArg {
  return !!v && typeof v === 'object' && (v as { constructor?: { name?: string } }).constructor?.name === 'XComArg'
    && typeof (v as XComArg).task_id === 'string' && typeof (v as XComArg).key === 'string';
}
