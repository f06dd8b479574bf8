/**
 * Rendering of operator arguments: every string inside a JSON-like value (Airflow renders
 * strings, lists and dict values of templated fields; dict keys stay as written).
 * Errors say which field (and nested key) failed, e.g. "env.TARGET: 'foo' is undefined".
 */
import { renderTemplate } from './engine.ts';
import { TemplateError } from './errors.ts';
import { isPlainObject } from './pyvalue.ts';
import type { TemplateContext } from './types.ts';

function inField(err: unknown, path: string): unknown {
  if (!(err instanceof TemplateError) || path === '') return err;
  return new TemplateError(`${path}: ${err.reason}`, {
    line: err.line, column: err.column, undefinedName: err.undefinedName, cause: err,
  });
}

function renderAt(value: unknown, ctx: TemplateContext, path: string): unknown {
  if (typeof value === 'string') {
    try {
      return renderTemplate(value, ctx);
    } catch (err) {
      throw inField(err, path);
    }
  }
  if (Array.isArray(value)) return value.map((item, i) => renderAt(item, ctx, `${path}[${i}]`));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = renderAt(item, ctx, path === '' ? key : `${path}.${key}`);
    return out;
  }
  return value;
}

/** Render every string inside a JSON-like value (objects, arrays) recursively; other values unchanged. */
export function renderValue(value: unknown, ctx: TemplateContext): unknown {
  return renderAt(value, ctx, '');
}

/** Render only the named fields of an args object, returning a new object. */
export function renderFields<T extends Record<string, unknown>>(args: T, fields: readonly string[], ctx: TemplateContext): T {
  const out: Record<string, unknown> = { ...args };
  for (const field of fields) {
    if (Object.prototype.hasOwnProperty.call(args, field)) out[field] = renderAt(args[field], ctx, field);
  }
  return out as T;
}
