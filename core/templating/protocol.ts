/**
 * How objects we expose to templates describe themselves. Jinja (Python) semantics differ
 * from JavaScript's for attribute access and printing, so instead of letting nunjucks
 * read arbitrary JS properties, our objects answer these hooks:
 * - PY_GETATTR: `obj.name` in a template; return MISSING when there is no such attribute
 *   (the renderer then raises a StrictUndefined-style error naming the expression).
 * - PY_STR / PY_REPR: Python's str() (used by `{{ x }}`) and repr() (used inside lists/dicts).
 * - PY_JSON: the value `tojson` should serialise instead of the object.
 */
export const PY_GETATTR: unique symbol = Symbol('updraft.py.getattr');
export const PY_STR: unique symbol = Symbol('updraft.py.str');
export const PY_REPR: unique symbol = Symbol('updraft.py.repr');
export const PY_JSON: unique symbol = Symbol('updraft.py.json');

/** Returned by PY_GETATTR when the attribute does not exist. */
export const MISSING: unique symbol = Symbol('updraft.missing');
export type Missing = typeof MISSING;

export interface PyObject {
  [PY_GETATTR](name: string): unknown;
}

export function isPyObject(value: unknown): value is PyObject {
  return typeof value === 'object' && value !== null && PY_GETATTR in value;
}

export function hasHook<K extends typeof PY_STR | typeof PY_REPR | typeof PY_JSON>(
  value: unknown,
  hook: K,
): value is Record<K, () => unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Record<K, unknown>)[hook] === 'function';
}

/**
 * Build a PY_GETATTR answer from a table of attributes: values, or methods as closures
 * over the object (so they need no `this`). MISSING for names not in the table.
 */
export function lookupTable(table: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : MISSING;
}
