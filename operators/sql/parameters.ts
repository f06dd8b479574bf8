/**
 * Bound query parameters. A list binds to `$1, $2, ...` as written in the query. An
 * object binds by name with Airflow's (psycopg2's) `%(name)s` placeholders, which are
 * rewritten to `$n` (the same name reuses its number); placeholders inside string
 * literals, quoted identifiers, dollar-quoted strings and comments are left alone.
 * Values are always sent separately from the SQL text, never spliced into it.
 */

export type QueryParameters = unknown[] | Record<string, unknown>;

export interface BoundQuery { text: string; values: unknown[] }

export function bindParameters(query: string, parameters: QueryParameters | null | undefined): BoundQuery {
  if (parameters === null || parameters === undefined) return { text: query, values: [] };
  if (Array.isArray(parameters)) return { text: query, values: parameters.map(toPgValue) };
  const names: string[] = [];
  let out = '';
  let i = 0;
  while (i < query.length) {
    const skip = skippedSpanEnd(query, i);
    if (skip > i) { out += query.slice(i, skip); i = skip; continue; }
    const m = /^%\(([A-Za-z_][A-Za-z0-9_]*)\)s/.exec(query.slice(i));
    if (m) {
      const name = m[1]!;
      if (!Object.prototype.hasOwnProperty.call(parameters, name)) {
        throw new Error(`parameters: the query uses %(${name})s but parameters has no "${name}"`);
      }
      let n = names.indexOf(name);
      if (n < 0) { names.push(name); n = names.length - 1; }
      out += `$${n + 1}`;
      i += m[0].length;
      continue;
    }
    out += query[i];
    i++;
  }
  return { text: out, values: names.map((n) => toPgValue(parameters[n])) };
}

/** End of a literal/comment starting at i (i itself when none starts there). */
function skippedSpanEnd(q: string, i: number): number {
  const c = q[i];
  if (c === "'" || c === '"') {
    let j = i + 1;
    while (j < q.length) {
      if (q[j] === c) { if (q[j + 1] === c) { j += 2; continue; } return j + 1; }
      j++;
    }
    return q.length;
  }
  if (c === '-' && q[i + 1] === '-') { const nl = q.indexOf('\n', i); return nl < 0 ? q.length : nl; }
  if (c === '/' && q[i + 1] === '*') { const end = q.indexOf('*/', i + 2); return end < 0 ? q.length : end + 2; }
  if (c === '$') {
    const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(q.slice(i));
    if (tag) {
      const end = q.indexOf(tag[0], i + tag[0].length);
      return end < 0 ? q.length : end + tag[0].length;
    }
  }
  return i;
}

/** Objects and arrays of objects go as JSON text (for json/jsonb columns); the rest as pg sends them. */
function toPgValue(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v)) return JSON.stringify(v);
  return v;
}
