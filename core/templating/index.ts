/**
 * Airflow-compatible templating: Jinja syntax (via nunjucks) with Airflow 3's context,
 * StrictUndefined errors and Python-style printing. Pure: everything is handed in.
 * See context.ts (what a template sees), strict.ts/runtime.ts (Jinja semantics),
 * engine.ts (rendering, `${execution_date}`), needs.ts (pre-load check).
 */
export type { ConnectionView, TemplateContext, TemplateInput } from './types.ts';
export { TemplateError } from './errors.ts';
export { buildTemplateContext } from './context.ts';
export { renderTemplate } from './engine.ts';
export { renderFields, renderValue } from './render.ts';
export { templateNeeds, type TemplateNeeds } from './needs.ts';
