/**
 * The nunjucks environment and renderTemplate(). One environment for the process:
 * autoescape off (commands and SQL, not HTML), no template loader (templates are strings
 * from DAG code; include/import are not supported), Jinja names Airflow users rely on
 * (True/False/None, tojson, ds/ts filters), plus the internal filters strict.ts emits.
 * Compiled templates are cached by source text: the same DAG templates render for every run.
 */
import nunjucks from 'nunjucks';
import { TemplateError } from './errors.ts';
import { registerAirflowFilters } from './macros.ts';
import { compileToCode } from './nunjucks-internals.ts';
import { bindArgs, keywordArgs } from './pyargs.ts';
import { pyStr, toJson } from './pyvalue.ts';
import * as rt from './runtime.ts';
import { INTERNAL, rewriteTemplate } from './strict.ts';
import type { TemplateContext } from './types.ts';

type Fn = (...args: unknown[]) => unknown;

function createEnvironment(): nunjucks.Environment {
  // dev: true keeps the original error as `cause` (otherwise nunjucks flattens it to text).
  const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false, dev: true });
  const filters: Record<string, Fn> = {
    [INTERNAL.name]: rt.strictName as Fn,
    [INTERNAL.attr]: rt.strictAttr as Fn,
    [INTERNAL.callable]: rt.strictCallable as Fn,
    [INTERNAL.filter]: rt.applyFilter as Fn,
    [INTERNAL.out]: rt.output as Fn,
    [INTERNAL.concat]: rt.concat as Fn,
    [INTERNAL.add]: rt.add as Fn,
    [INTERNAL.sub]: rt.sub as Fn,
    [INTERNAL.iter]: rt.iterate as Fn,
    map: rt.mapFilter as Fn,
    tojson: (value, ...args) => toJson(value, bindArgs('tojson', args, [['indent', null]]).indent),
    // Jinja's string/join use Python str(): None -> "None", True -> "True".
    string: (value) => pyStr(value),
    join: (value, ...args) => {
      const b = bindArgs('join', args, [['d', ''], ['attribute', null]]);
      const items = Array.isArray(value) ? value : typeof value === 'string' ? [...value] : [];
      const picked = b.attribute === null ? items : items.map((item) => rt.getAttr(item, b.attribute));
      return picked.map(pyStr).join(String(b.d));
    },
    d: (value, ...args) => {
      const b = bindArgs('default', args, [['default_value', ''], ['boolean', false]]);
      return (b.boolean === true ? !value : value === undefined) ? b.default_value : value;
    },
  };
  for (const [name, fn] of Object.entries(filters)) env.addFilter(name, fn);
  registerAirflowFilters((name, fn) => env.addFilter(name, fn));
  env.addGlobal('True', true);
  env.addGlobal('False', false);
  env.addGlobal('None', null);
  env.addGlobal('dict', (...args: unknown[]) => keywordArgs('dict', args));
  return env;
}

let environment: nunjucks.Environment | undefined;
const CACHE_LIMIT = 2000;
const cache = new Map<string, nunjucks.Template>();

function compile(src: string): nunjucks.Template {
  const hit = cache.get(src);
  if (hit) {
    cache.delete(src); // move to the end: least recently used entries are evicted first
    cache.set(src, hit);
    return hit;
  }
  environment ??= createEnvironment();
  let code: string;
  try {
    code = compileToCode(src, environment, rewriteTemplate);
  } catch (err) {
    throw syntaxError(err);
  }
  // Same evaluation nunjucks performs for its own compiled templates (compiler output is trusted code).
  const props = new Function(code)() as object;
  const source = { type: 'code', obj: props } as unknown as string;
  const template = new nunjucks.Template(source, environment, 'template');
  cache.set(src, template);
  if (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return template;
}

interface NunjucksError {
  message?: unknown;
  lineno?: unknown;
  colno?: unknown;
  cause?: unknown;
}

function asNunjucksError(err: unknown): NunjucksError {
  return typeof err === 'object' && err !== null ? (err as NunjucksError) : { message: String(err) };
}

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? v : undefined);

function syntaxError(err: unknown): TemplateError {
  if (err instanceof TemplateError) return err;
  const e = asNunjucksError(err);
  const message = String(e.message ?? err).replace(/^\(template\)\s*(\[[^\]]*\])?\s*/, '');
  return new TemplateError(`template syntax error: ${message}`, { line: positiveInt(e.lineno), column: positiveInt(e.colno), cause: err });
}

/** Names Airflow 3 removed or leaves out, with what to write instead. */
const UNDEFINED_HINTS: Readonly<Record<string, string>> = {
  execution_date: 'removed in Airflow 3; use logical_date',
  next_ds: 'removed in Airflow 3; use {{ data_interval_end | ds }}',
  prev_ds: 'removed in Airflow 3; use {{ prev_data_interval_start_success | ds }}',
  yesterday_ds: 'removed in Airflow 3; use {{ macros.ds_add(ds, -1) }}',
  tomorrow_ds: 'removed in Airflow 3; use {{ macros.ds_add(ds, 1) }}',
  next_execution_date: 'removed in Airflow 3; use data_interval_end',
  prev_execution_date: 'removed in Airflow 3; use prev_data_interval_start_success',
};
const NEEDS_LOGICAL_DATE = new Set([
  'logical_date', 'ds', 'ds_nodash', 'ts', 'ts_nodash', 'ts_nodash_with_tz', 'data_interval_start', 'data_interval_end',
]);

function withHint(err: TemplateError, ctx: TemplateContext): TemplateError {
  const name = err.undefinedName;
  if (name === undefined) return err;
  let hint = UNDEFINED_HINTS[name];
  if (hint === undefined && NEEDS_LOGICAL_DATE.has(name) && !('logical_date' in ctx) && 'dag_run' in ctx) {
    hint = 'this run has no logical date (triggered without one), so Airflow 3 leaves ds, ts and logical_date undefined';
  }
  if (hint === undefined) return err;
  return new TemplateError(`${err.reason}: ${hint}`, { line: err.line, column: err.column, undefinedName: name, cause: err.cause });
}

function renderError(err: unknown, ctx: TemplateContext): TemplateError {
  // Our own errors travel inside nunjucks' wrappers as `cause`, already located by
  // runtime.ts (nunjucks' own line tracking is 0-based and only updated at calls).
  for (let e: unknown = err; e !== undefined && e !== null; e = asNunjucksError(e).cause) {
    if (e instanceof TemplateError) return withHint(e, ctx);
  }
  let inner: unknown = err;
  while (asNunjucksError(inner).cause !== undefined) inner = asNunjucksError(inner).cause;
  const message = String(asNunjucksError(inner).message ?? inner).replace(/^\(template\)\s*(\[[^\]]*\])?\s*/, '');
  return new TemplateError(`template error: ${message}`, { cause: err });
}

const EXECUTION_DATE = '${execution_date}';

/**
 * The seed pipelines' `${execution_date}` token: the logical date as YYYY-MM-DD.
 * Only that exact name; other `${...}` are shell syntax and stay. Substituted before
 * Jinja runs, so a value pulled from XCom that happens to contain it is left alone.
 */
function substituteExecutionDate(src: string, ctx: TemplateContext): string {
  if (!src.includes(EXECUTION_DATE)) return src;
  const ds = ctx.ds;
  if (typeof ds !== 'string') {
    throw new TemplateError(`${EXECUTION_DATE} needs the run's logical date, and this run has none`, { undefinedName: 'ds' });
  }
  return src.split(EXECUTION_DATE).join(ds);
}

/** Jinja drops one trailing newline of the template source (keep_trailing_newline=False); Airflow inherits that. */
function dropTrailingNewline(src: string): string {
  if (src.endsWith('\r\n')) return src.slice(0, -2);
  if (src.endsWith('\n') || src.endsWith('\r')) return src.slice(0, -1);
  return src;
}

/**
 * Render one template string (Jinja syntax through nunjucks), throwing TemplateError with
 * a message naming the problem and, when known, its line and column.
 */
export function renderTemplate(template: string, ctx: TemplateContext): string {
  const src = substituteExecutionDate(dropTrailingNewline(template), ctx);
  if (!/\{[{%#]/.test(src)) return src; // nothing for Jinja to do
  const compiled = compile(src);
  try {
    return compiled.render(ctx);
  } catch (err) {
    throw renderError(err, ctx);
  }
}
