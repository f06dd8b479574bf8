/**
 * What compiled templates call at run time (registered as internal filters, see engine.ts):
 * Jinja/Python semantics for attribute access, StrictUndefined checks that name the
 * expression, printing, `~` and `+`/`-`. Plain JavaScript lookups would silently turn a
 * typo into an empty string in a bash command; Airflow fails the task instead, and so do we.
 */
import { TemplateError } from './errors.ts';
import { splitArgs } from './pyargs.ts';
import { dictMethod, listMethod, stringMethod } from './pymethods.ts';
import { MISSING, PY_GETATTR, isPyObject } from './protocol.ts';
import { isPlainObject, pyAdd, pyStr, pySub } from './pyvalue.ts';

/** Names never readable from a template: they lead to Function and prototypes. */
const BLOCKED = new Set([
  'constructor', 'prototype', '__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
]);

type Fn = (...args: unknown[]) => unknown;

/** Methods are bound (nunjucks calls functions with its context as `this`), keeping attributes such as macros.datetime.strptime. */
function bindMember(owner: unknown, value: unknown): unknown {
  if (typeof value !== 'function') return value;
  return Object.assign((value as Fn).bind(owner), value);
}

function pyIndex(length: number, key: unknown): number | undefined {
  if (typeof key !== 'number' || !Number.isInteger(key)) return undefined;
  const i = key < 0 ? length + key : key;
  return i >= 0 && i < length ? i : undefined;
}

/**
 * `obj.key` / `obj[key]` with Jinja's rules: own keys of dicts, then Python methods of
 * dict/str/list, then (for other objects) their JavaScript members. MISSING when absent.
 */
export function getAttr(obj: unknown, key: unknown): unknown {
  if (obj === null || obj === undefined) return MISSING;
  if (isPyObject(obj)) return obj[PY_GETATTR](String(key));
  const name = String(key);
  if (BLOCKED.has(name)) return MISSING;
  if (typeof obj === 'string') {
    const i = pyIndex(obj.length, key);
    if (i !== undefined) return obj[i];
    if (name === 'length') return obj.length;
    const method = stringMethod(obj, name);
    if (method !== MISSING) return method;
  } else if (Array.isArray(obj)) {
    const i = pyIndex(obj.length, key);
    if (i !== undefined) return obj[i];
    if (name === 'length') return obj.length;
    const method = listMethod(obj, name);
    if (method !== MISSING) return method;
  } else if (isPlainObject(obj)) {
    if (Object.prototype.hasOwnProperty.call(obj, name)) {
      const value = obj[name];
      return value === undefined ? MISSING : bindMember(obj, value);
    }
    return dictMethod(obj, name);
  }
  // Other values (nunjucks helpers, functions with attributes, numbers): their JS members.
  const boxed: Record<string, unknown> = Object(obj) as Record<string, unknown>;
  if (!(name in boxed)) return MISSING;
  const value = boxed[name];
  return value === undefined ? MISSING : bindMember(obj, value);
}

interface Position {
  line: number;
  column: number;
}

/**
 * Give an error raised without a position (by an accessor, a function or a filter) the
 * position of the expression that raised it; foreign errors become TemplateErrors.
 */
export function locate(err: unknown, pos: Position, what: string): TemplateError {
  if (err instanceof TemplateError) {
    return err.line !== undefined ? err : new TemplateError(err.reason, { ...pos, undefinedName: err.undefinedName, cause: err.cause });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TemplateError(`${what}: ${message}`, { ...pos, cause: err });
}

function undefinedError(name: string, pos: Position, detail = ''): TemplateError {
  return new TemplateError(`'${name}' is undefined${detail}`, { ...pos, undefinedName: name });
}

/** A bare name in strict position: `{{ foo }}`, `{% if foo %}`, `foo.bar`. */
export function strictName(value: unknown, name: unknown, line: unknown, column: unknown): unknown {
  if (value === undefined) throw undefinedError(String(name), { line: Number(line), column: Number(column) });
  return value;
}

/** `target.key`; lenient positions (`is defined`, `| default`) get undefined instead of an error. */
export function strictAttr(
  target: unknown, key: unknown, path: unknown, targetPath: unknown, lenient: unknown, line: unknown, column: unknown,
): unknown {
  const pos = { line: Number(line), column: Number(column) };
  if (target === undefined) throw undefinedError(String(targetPath), pos);
  let value: unknown;
  try {
    value = getAttr(target, key); // accessors throw for a missing variable/connection
  } catch (err) {
    throw locate(err, pos, String(path));
  }
  if (value !== MISSING) return value;
  if (lenient === true) return undefined;
  const detail = target === null ? ` ('${String(targetPath)}' is None)` : '';
  throw undefinedError(String(path), pos, detail);
}

/** The callee of `f(...)`: must be callable; errors raised by the call get the call's position. */
export function strictCallable(fn: unknown, path: unknown, line: unknown, column: unknown): unknown {
  const pos = { line: Number(line), column: Number(column) };
  if (typeof fn !== 'function') throw new TemplateError(`'${String(path)}' is not callable`, pos);
  const callee = fn as Fn;
  return function located(this: unknown, ...args: unknown[]): unknown {
    try {
      return callee.apply(this, args);
    } catch (err) {
      throw locate(err, pos, `${String(path)}()`);
    }
  };
}

interface FilterThis {
  env: { getFilter(name: string): Fn };
}

/** `value | name(args)`: runs the named filter, locating its errors (including "filter not found"). */
export function applyFilter(this: FilterThis, value: unknown, name: unknown, line: unknown, column: unknown, ...args: unknown[]): unknown {
  const pos = { line: Number(line), column: Number(column) };
  try {
    return this.env.getFilter(String(name)).call(this, value, ...args);
  } catch (err) {
    throw locate(err, pos, `filter '${String(name)}'`);
  }
}

/** `{{ expr }}`: Python str() of the value; undefined (e.g. `[] | first`) is an error like StrictUndefined. */
export function output(value: unknown, label: unknown, line: unknown, column: unknown): string {
  if (value === undefined) throw undefinedError(String(label), { line: Number(line), column: Number(column) });
  return pyStr(value);
}

export function concat(a: unknown, b: unknown): string {
  return pyStr(a) + pyStr(b);
}

/** Python `+` / `-` (see pyvalue.ts), with the operator's position on errors. */
export function add(a: unknown, b: unknown, line: unknown, column: unknown): unknown {
  try {
    return pyAdd(a, b);
  } catch (err) {
    throw locate(err, { line: Number(line), column: Number(column) }, '+');
  }
}

export function sub(a: unknown, b: unknown, line: unknown, column: unknown): unknown {
  try {
    return pySub(a, b);
  } catch (err) {
    throw locate(err, { line: Number(line), column: Number(column) }, '-');
  }
}

/** What `{% for x in value %}` walks: a dict's keys, like Python. */
export function iterate(value: unknown): unknown {
  return isPlainObject(value) ? Object.keys(value) : value;
}

/** Jinja's `map(attribute='a')` / `map('upper')`. */
export function mapFilter(this: FilterThis, value: unknown, ...args: unknown[]): unknown[] {
  const items = Array.isArray(value) ? (value as unknown[]) : isPlainObject(value) ? Object.keys(value) : [];
  const { positional, keywords } = splitArgs(args);
  if ('attribute' in keywords) {
    return items.map((item) => {
      const v = getAttr(item, keywords.attribute);
      return v === MISSING ? ('default' in keywords ? keywords.default : undefined) : v;
    });
  }
  const [name, ...rest] = positional;
  if (typeof name !== 'string') throw new TemplateError('map(): give a filter name or attribute=...');
  const filter = this.env.getFilter(name);
  return items.map((item) => filter.call(this, item, ...rest));
}
