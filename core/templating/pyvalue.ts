/**
 * Python's view of JSON-like values, so output matches what Airflow (Jinja on Python)
 * renders: `{{ None }}` is "None", booleans are "True"/"False", lists and dicts print
 * as their Python repr, and `tojson` is Jinja's HTML-safe, key-sorted json.dumps.
 */
import { TemplateDateTime, TemplateTimedelta } from './datetime.ts';
import { TemplateError } from './errors.ts';
import { PY_JSON, PY_REPR, PY_STR, hasHook } from './protocol.ts';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/** Python's repr() of a str: single quotes unless the text has ' and no ". */
export function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function functionLabel(fn: (...args: never[]) => unknown): string {
  return `<function ${fn.name || 'anonymous'}>`;
}

/** Python repr(): used for values nested in lists/dicts. */
export function pyRepr(value: unknown): string {
  if (typeof value === 'string') return reprString(value);
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return functionLabel(value as (...args: never[]) => unknown);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (hasHook(value, PY_REPR)) return String(value[PY_REPR]());
  if (hasHook(value, PY_STR)) return String(value[PY_STR]());
  if (isPlainObject(value)) {
    return `{${Object.entries(value).map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
  return String(value);
}

/** Python str(): what `{{ value }}` prints. */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && hasHook(value, PY_STR)) {
    return String(value[PY_STR]());
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !isPlainObject(value)) {
    // nunjucks' own objects (SafeString, cycler, ...) print as JavaScript would.
    return String(value);
  }
  return pyRepr(value);
}

const HTML_UNSAFE: Readonly<Record<string, string>> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', "'": '\\u0027' };

function jsonString(s: string): string {
  // Python's json.dumps defaults to ensure_ascii=True: every non-ASCII unit becomes \uXXXX.
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

interface DumpOptions {
  indent: string | null;
  sortKeys: boolean;
}

function dumps(value: unknown, opts: DumpOptions, depth: number, seen: Set<object>): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (typeof value === 'string') return jsonString(value);
  if (typeof value === 'object' && hasHook(value, PY_JSON)) return dumps(value[PY_JSON](), opts, depth, seen);
  if (typeof value !== 'object') throw new TemplateError(`Object of type ${typeof value} is not JSON serializable`);
  if (seen.has(value)) throw new TemplateError('Circular reference detected');
  if (!Array.isArray(value) && !isPlainObject(value)) {
    throw new TemplateError(`Object of type ${value.constructor.name} is not JSON serializable`);
  }
  seen.add(value);
  try {
    const keys = Array.isArray(value) ? [] : opts.sortKeys ? Object.keys(value).sort() : Object.keys(value);
    const items = Array.isArray(value)
      ? value.map((v) => dumps(v, opts, depth + 1, seen))
      : keys.map((k) => `${jsonString(k)}: ${dumps(value[k], opts, depth + 1, seen)}`);
    const indent = opts.indent;
    const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
    if (items.length === 0) return open + close;
    if (indent === null) return `${open}${items.join(', ')}${close}`;
    const inner = '\n' + indent.repeat(depth + 1);
    return `${open}${inner}${items.join(',' + inner)}\n${indent.repeat(depth)}${close}`;
  } finally {
    seen.delete(value);
  }
}

/** Python's json.dumps (ensure_ascii, ", " and ": " separators, `indent` as a count or a string). */
export function jsonDumps(value: unknown, indent: unknown = null, sortKeys = false): string {
  const ind = typeof indent === 'number' ? ' '.repeat(indent) : typeof indent === 'string' ? indent : null;
  return dumps(value, { indent: ind, sortKeys }, 0, new Set());
}

/** Jinja's `tojson`: json.dumps(sort_keys=True) made safe to embed in HTML and in '...' shell strings. */
export function toJson(value: unknown, indent: unknown = null): string {
  return jsonDumps(value, indent, true).replace(/[<>&']/g, (c) => HTML_UNSAFE[c] ?? c);
}

/** Python `+` for the types templates combine: date ± timedelta, list + list; otherwise JavaScript's. */
export function pyAdd(a: unknown, b: unknown): unknown {
  if (a instanceof TemplateDateTime && b instanceof TemplateTimedelta) return a.plusDelta(b, 1);
  if (a instanceof TemplateTimedelta && b instanceof TemplateDateTime) return b.plusDelta(a, 1);
  if (a instanceof TemplateTimedelta && b instanceof TemplateTimedelta) return new TemplateTimedelta(a.micros + b.micros);
  if (Array.isArray(a) && Array.isArray(b)) return [...(a as unknown[]), ...(b as unknown[])];
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (typeof a === 'string' || typeof b === 'string') {
    // Python refuses 'a' + 1; say so instead of guessing (use ~ to join as text).
    throw new TemplateError(`can only add text to text: use ~ to join ${pyRepr(a)} and ${pyRepr(b)}`);
  }
  return (a as number) + (b as number);
}

/** Python `-`: date - timedelta, date - date (a timedelta), timedelta - timedelta; otherwise numeric. */
export function pySub(a: unknown, b: unknown): unknown {
  if (a instanceof TemplateDateTime && b instanceof TemplateTimedelta) return a.plusDelta(b, -1);
  if (a instanceof TemplateDateTime && b instanceof TemplateDateTime) return a.minus(b);
  if (a instanceof TemplateTimedelta && b instanceof TemplateTimedelta) return new TemplateTimedelta(a.micros - b.micros);
  return (a as number) - (b as number);
}
