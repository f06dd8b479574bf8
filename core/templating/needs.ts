/**
 * templateNeeds(): a cheap text scan so the worker pre-loads XComs, variables and
 * connections only when some template may use them. It must never say "no" for a
 * template that does use one (the lookup would then find nothing), so it errs towards
 * "yes": any templated string mentioning `xcom`, `var` or `conn` as a word counts.
 * Strings without `{{` / `{%` are not templates and need nothing.
 */
export interface TemplateNeeds {
  xcom: boolean;
  variables: boolean;
  connections: boolean;
}

const TEMPLATE_MARK = /\{[{%]/;

function scan(value: unknown, needs: TemplateNeeds, seen: Set<object>): void {
  if (typeof value === 'string') {
    if (!TEMPLATE_MARK.test(value)) return;
    if (value.includes('xcom')) needs.xcom = true;
    if (/\bvar\b/.test(value)) needs.variables = true;
    if (/\bconn\b/.test(value)) needs.connections = true;
    return;
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  for (const item of Array.isArray(value) ? value : Object.values(value)) scan(item, needs, seen);
}

export function templateNeeds(values: unknown): TemplateNeeds {
  const needs: TemplateNeeds = { xcom: false, variables: false, connections: false };
  scan(values, needs, new Set());
  return needs;
}
