/**
 * What compiled templates call at run time (registered as internal filters, see engine.ts):
 * Jinja/Python semantics for attribute access, StrictUndefined checks that name the
 * expression, printing, `~` and `+`/`-`. Plain JavaScript lookups would silently turn a
 * typo into an empty string in a bash command; Airflow fails the task instead, and so do we.
 */
import { TemplateError } from './errors.ts';
import { bindArgs, splitArgs } from './pyargs.ts';
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

function pySplit(s: string, sep: unknown, maxsplit: number): string[] {
  if (sep === null || sep === undefined) {
    const parts: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest !== '') {
      if (maxsplit >= 0 && parts.length === maxsplit) {
        parts.push(rest.replace(/\s+$/, ''));
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        parts.push(rest);
        break;
      }
      parts.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return parts;
  }
  const by = String(sep);
  if (by === '') throw new TemplateError('split(): empty separator');
  const all = s.split(by);
  if (maxsplit < 0 || all.length <= maxsplit + 1) return all;
  return [...all.slice(0, maxsplit), all.slice(maxsplit).join(by)];
}

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = chars === null || chars === undefined ? null : String(chars);
  const strip = (c: string): boolean => (set === null ? /\s/.test(c) : set.includes(c));
  let start = 0;
  let end = s.length;
  if (left) while (start < end && strip(s[start] as string)) start++;
  if (right) while (end > start && strip(s[end - 1] as string)) end--;
  return s.slice(start, end);
}

/** `'{} and {name}'.format(a, name=b)`, the common subset. */
function pyFormat(s: string, args: readonly unknown[]): string {
  const { positional, keywords } = splitArgs(args);
  let auto = 0;
  return s.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, field: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const name = field ?? '';
    if (name === '') return pyStr(positional[auto++]);
    if (/^\d+$/.test(name)) return pyStr(positional[Number(name)]);
    if (!(name in keywords)) throw new TemplateError(`format(): no value for '{${name}}'`);
    return pyStr(keywords[name]);
  });
}

function affixTest(s: string, value: unknown, test: (x: string) => boolean): boolean {
  return Array.isArray(value) ? value.some((v) => test(String(v))) : test(String(value));
}

function stringMethod(s: string, name: string): unknown {
  const methods: Record<string, Fn> = {
    upper: () => s.toUpperCase(),
    lower: () => s.toLowerCase(),
    title: () => s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, pre: string, c: string) => pre + c.toUpperCase()),
    capitalize: () => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
    strip: (...a) => stripChars(s, bindArgs('strip', a, [['chars', null]]).chars, true, true),
    lstrip: (...a) => stripChars(s, bindArgs('lstrip', a, [['chars', null]]).chars, true, false),
    rstrip: (...a) => stripChars(s, bindArgs('rstrip', a, [['chars', null]]).chars, false, true),
    split: (...a) => {
      const b = bindArgs('split', a, [['sep', null], ['maxsplit', -1]]);
      return pySplit(s, b.sep, Number(b.maxsplit));
    },
    replace: (...a) => {
      const b = bindArgs('replace', a, ['old', 'new', ['count', -1]]);
      const parts = s.split(String(b.old));
      const count = Number(b.count);
      if (count < 0 || parts.length <= count + 1) return parts.join(String(b.new));
      return parts.slice(0, count + 1).join(String(b.new)) + String(b.old) + parts.slice(count + 1).join(String(b.old));
    },
    startswith: (...a) => affixTest(s, bindArgs('startswith', a, ['prefix']).prefix, (p) => s.startsWith(p)),
    endswith: (...a) => affixTest(s, bindArgs('endswith', a, ['suffix']).suffix, (p) => s.endsWith(p)),
    join: (...a) => {
      const items = bindArgs('join', a, ['iterable']).iterable;
      return (Array.isArray(items) ? items : [...String(items)]).map(pyStr).join(s);
    },
    zfill: (...a) => {
      const width = Number(bindArgs('zfill', a, ['width']).width);
      const sign = /^[+-]/.test(s) ? (s[0] as string) : '';
      return sign + s.slice(sign.length).padStart(width - sign.length, '0');
    },
    find: (...a) => s.indexOf(String(bindArgs('find', a, ['sub']).sub)),
    count: (...a) => s.split(String(bindArgs('count', a, ['sub']).sub)).length - 1,
    isdigit: () => /^\d+$/.test(s),
    format: (...a) => pyFormat(s, a),
  };
  if (Object.prototype.hasOwnProperty.call(methods, name)) return methods[name];
  return MISSING;
}

function dictMethod(obj: Record<string, unknown>, name: string): unknown {
  switch (name) {
    case 'get':
      return (...a: unknown[]) => {
        const b = bindArgs('get', a, ['key', ['default', null]]);
        const key = String(b.key);
        return Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined ? obj[key] : b.default;
      };
    case 'items': return () => Object.entries(obj);
    case 'keys': return () => Object.keys(obj);
    case 'values': return () => Object.values(obj);
    default: return MISSING;
  }
}

function listMethod(list: readonly unknown[], name: string): unknown {
  switch (name) {
    case 'index':
      return (...a: unknown[]) => {
        const i = list.indexOf(bindArgs('index', a, ['value']).value);
        if (i < 0) throw new TemplateError('list.index(x): x not in list');
        return i;
      };
    case 'count': return (...a: unknown[]) => list.filter((v) => v === bindArgs('count', a, ['value']).value).length;
    default: return MISSING;
  }
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
