/**
 * Python-style argument binding for functions called from templates. nunjucks passes
 * keyword arguments (`f(a, key='k')`) as one trailing object flagged `__keywords: true`;
 * Airflow templates rely on keywords heavily (`ti.xcom_pull(task_ids=..., key=...)`),
 * so every callable we expose binds its arguments here, with Python's error messages.
 */
import { TemplateError } from './errors.ts';

/** Default marker meaning "the caller did not pass this argument" (Python's NOTSET). */
export const NOT_SET: unique symbol = Symbol('NOT_SET');

/** A parameter: a bare name is required; [name, default] is optional. */
export type ParamSpec = string | readonly [string, unknown];

export interface SplitArgs {
  positional: unknown[];
  keywords: Record<string, unknown>;
}

function isKeywordObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.prototype.hasOwnProperty.call(value, '__keywords');
}

/** Separate nunjucks' trailing keyword object from the positional arguments. */
export function splitArgs(args: readonly unknown[]): SplitArgs {
  const last = args[args.length - 1];
  if (!isKeywordObject(last)) return { positional: [...args], keywords: {} };
  const keywords: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(last)) if (k !== '__keywords') keywords[k] = v;
  return { positional: args.slice(0, -1), keywords };
}

/** Bind arguments to named parameters like a Python call, throwing Python-like TypeErrors. */
export function bindArgs(fnName: string, args: readonly unknown[], params: readonly ParamSpec[]): Record<string, unknown> {
  const { positional, keywords } = splitArgs(args);
  const names = params.map((p) => (typeof p === 'string' ? p : p[0]));
  if (positional.length > params.length) {
    throw new TemplateError(`${fnName}() takes at most ${params.length} arguments (${positional.length} given)`);
  }
  const bound: Record<string, unknown> = {};
  positional.forEach((value, i) => {
    bound[names[i] as string] = value;
  });
  for (const [key, value] of Object.entries(keywords)) {
    if (!names.includes(key)) throw new TemplateError(`${fnName}() got an unexpected keyword argument '${key}'`);
    if (key in bound) throw new TemplateError(`${fnName}() got multiple values for argument '${key}'`);
    bound[key] = value;
  }
  for (const p of params) {
    const name = typeof p === 'string' ? p : p[0];
    if (name in bound) continue;
    if (typeof p === 'string') throw new TemplateError(`${fnName}() missing required argument '${name}'`);
    bound[name] = p[1];
  }
  return bound;
}

/** Keyword arguments only, as a plain object (Jinja's `dict(a=1, b=2)`). */
export function keywordArgs(fnName: string, args: readonly unknown[]): Record<string, unknown> {
  const { positional, keywords } = splitArgs(args);
  if (positional.length > 0) throw new TemplateError(`${fnName}() takes keyword arguments only`);
  return keywords;
}
