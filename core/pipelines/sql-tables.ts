/**
 * The tables a SQL text reads and writes, for lineage: a small tokenizer (string
 * literals, dollar quotes, comments and Jinja/`${...}` placeholders are skipped, quoted
 * identifiers kept) and a scan for the names after FROM and JOIN (reads) and after
 * INSERT INTO, UPDATE, DELETE FROM, MERGE INTO, CREATE TABLE, TRUNCATE (writes). CTE
 * names are not tables; FROM inside a function call (`extract(year from d)`) is not a
 * table clause. It is a heuristic for PostgreSQL-style SQL, not a full parser.
 */

/** `template`: a `{{ ... }}` or `${...}` placeholder, whose value is unknown until run time. */
export interface Token { kind: 'word' | 'quoted' | 'punct' | 'template' | 'other'; text: string }

/** Words that end a FROM item, so they are never taken as an alias or a table. */
const CLAUSE_WORDS = new Set([
  'where', 'join', 'inner', 'left', 'right', 'full', 'cross', 'natural', 'on', 'using', 'group', 'order', 'limit',
  'offset', 'union', 'except', 'intersect', 'having', 'window', 'fetch', 'for', 'returning', 'lateral', 'as', 'set',
  'select', 'values', 'only', 'tablesample', 'outer', 'with', 'from', 'into', 'when', 'then', 'do', 'default',
]);

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  const skipTo = (end: string, from: number) => { const j = sql.indexOf(end, from); return j < 0 ? n : j + end.length; };
  while (i < n) {
    const c = sql[i]!;
    const two = sql.slice(i, i + 2);
    if (/\s/.test(c)) { i += 1; continue; }
    if (two === '--') { i = skipTo('\n', i); continue; }
    if (two === '/*') { i = skipBlockComment(sql, i); continue; }
    if (two === '{{') { i = skipTo('}}', i + 2); out.push({ kind: 'template', text: '{{}}' }); continue; }
    if (two === '{%') { i = skipTo('%}', i + 2); continue; }
    if (two === '{#') { i = skipTo('#}', i + 2); continue; }
    if (two === '${') { i = skipTo('}', i + 2); out.push({ kind: 'template', text: '${}' }); continue; }
    if (c === "'" || ((c === 'e' || c === 'E') && sql[i + 1] === "'")) {
      const backslashes = c !== "'";
      i = skipString(sql, backslashes ? i + 1 : i, backslashes);
      out.push({ kind: 'other', text: "''" });
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < n) {
        if (sql[j] === '"') { if (sql[j + 1] === '"') { text += '"'; j += 2; continue; } break; }
        text += sql[j]; j += 1;
      }
      out.push({ kind: 'quoted', text });
      i = j + 1;
      continue;
    }
    const dollar = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
    if (dollar) { i = skipTo(dollar[0], i + dollar[0].length); out.push({ kind: 'other', text: "''" }); continue; }
    const word = /^[\p{L}_][\p{L}\p{N}_$]*/u.exec(sql.slice(i, i + 256));
    if (word) { out.push({ kind: 'word', text: word[0].toLowerCase() }); i += word[0].length; continue; }
    const num = /^[0-9][0-9.eE]*/.exec(sql.slice(i, i + 64));
    if (num) { out.push({ kind: 'other', text: num[0] }); i += num[0].length; continue; }
    out.push({ kind: '(),.;'.includes(c) ? 'punct' : 'other', text: c });
    i += 1;
  }
  return out;
}

/** PostgreSQL block comments nest. */
function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    const two = sql.slice(i, i + 2);
    if (two === '/*') { depth += 1; i += 2; } else if (two === '*/') { depth -= 1; i += 2; if (depth === 0) return i; } else i += 1;
  }
  return i;
}

function skipString(sql: string, quoteAt: number, backslashes: boolean): number {
  let i = quoteAt + 1;
  while (i < sql.length) {
    if (backslashes && sql[i] === '\\') { i += 2; continue; }
    if (sql[i] === "'") { if (sql[i + 1] === "'") { i += 2; continue; } return i + 1; }
    i += 1;
  }
  return i;
}

export interface SqlTables { reads: string[]; writes: string[] }

export function sqlTables(sql: string): SqlTables {
  const t = tokenize(sql);
  const ctes = cteNames(t);
  const reads = new Set<string>();
  const writes = new Set<string>();
  const isWord = (k: number, ...words: string[]) => t[k]?.kind === 'word' && words.includes(t[k]!.text);
  const add = (set: Set<string>, k: number, columnList = false) => {
    const ref = tableAt(t, k, columnList);
    if (ref?.name && !(ref.parts.length === 1 && ctes.has(ref.name))) set.add(ref.name);
    return ref;
  };
  const calls = functionParens(t);
  for (let k = 0; k < t.length; k += 1) {
    if (t[k]!.kind !== 'word') continue;
    const w = t[k]!.text;
    if (w === 'from' && !calls.has(k) && !isWord(k - 1, 'distinct')) {
      if (isWord(k - 1, 'delete')) { add(writes, k + 1); continue; }
      if (isWord(k - 1, 'copy')) continue;
      fromList(t, k + 1, (j) => add(reads, j));
    } else if (w === 'join') {
      add(reads, isWord(k + 1, 'lateral') ? k + 2 : k + 1);
    } else if (w === 'into' && isWord(k - 1, 'insert', 'merge')) {
      add(writes, k + 1, true);
    } else if (w === 'update' && !isWord(k - 1, 'do', 'for', 'key', 'no', 'on') && !isWord(k + 1, 'of')) {
      add(writes, isWord(k + 1, 'only') ? k + 2 : k + 1);
    } else if (w === 'table' && isWord(k - 1, 'create', 'temp', 'temporary', 'unlogged')) {
      add(writes, isWord(k + 1, 'if') ? k + 4 : k + 1);   // CREATE TABLE IF NOT EXISTS x
    } else if (w === 'truncate') {
      add(writes, isWord(k + 1, 'table') ? k + 2 : k + 1);
    }
  }
  return { reads: [...reads].sort(), writes: [...writes].sort() };
}

/** The items of a FROM list: `a, b x, (subquery) s, only c` — subqueries are scanned by the main loop. */
function fromList(t: Token[], start: number, add: (k: number) => unknown): void {
  let k = start;
  for (;;) {
    if (t[k]?.kind === 'word' && (t[k]!.text === 'only' || t[k]!.text === 'lateral')) k += 1;
    if (t[k]?.text === '(') k = skipParens(t, k);
    else if (t[k]?.kind === 'template') k += 1;   // an unknown item: skip it, keep reading the list
    else {
      const ref = add(k) as TableRef | null;
      if (!ref) return;
      k = ref.end;
      if (t[k]?.text === '(') k = skipParens(t, k);   // a set-returning function's arguments
    }
    if (t[k]?.kind === 'word' && t[k]!.text === 'as') k += 1;
    if ((t[k]?.kind === 'word' && !CLAUSE_WORDS.has(t[k]!.text)) || t[k]?.kind === 'quoted') k += 1;
    if (t[k]?.text === '(') k = skipParens(t, k);   // column aliases
    if (t[k]?.text !== ',') return;
    k += 1;
  }
}

interface TableRef { name: string; parts: string[]; end: number }

/**
 * A possibly qualified name starting at `k`: null if there is none; an empty name for a
 * function call, unless a parenthesis after the name is a column list (INSERT INTO t (a, b)).
 */
function tableAt(t: Token[], k: number, columnList = false): TableRef | null {
  const parts: string[] = [];
  let j = k;
  for (;;) {
    const tok = t[j];
    if (!tok || !(tok.kind === 'quoted' || (tok.kind === 'word' && (parts.length > 0 || !CLAUSE_WORDS.has(tok.text))))) return null;
    parts.push(tok.text);
    j += 1;
    if (t[j]?.text !== '.') break;
    j += 1;
  }
  // A call (`generate_series(...)`) or a name glued to a template is no table we can name.
  if ((t[j]?.text === '(' && !columnList) || t[j]?.kind === 'template') return { name: '', parts: [], end: j };
  if (parts.length === 0) return null;
  const quoted = parts.map((p, idx) => (t[k + idx * 2]?.kind === 'quoted' ? quoteIfNeeded(p) : p));
  const name = normalizeTableName(quoted.join('.'));
  return name ? { name, parts, end: j } : null;
}

/** Unquoted parts are lower case already; a quoted part that is a plain lower-case name needs no quotes. */
function quoteIfNeeded(part: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(part) ? part : `"${part.replace(/"/g, '""')}"`;
}

/** One spelling per table: `public.x` and `x` are the same table under the default search_path. */
export function normalizeTableName(name: string): string {
  return name.startsWith('public.') ? name.slice('public.'.length) : name;
}

/** A table name as written in an `output` or `table` argument ("schema.table", quotes allowed). */
export function tableName(text: string): string | null {
  if (text.includes('{{') || text.includes('${')) return null;
  const ref = tableAt(tokenize(text), 0);
  return ref?.name || null;
}

function skipParens(t: Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < t.length; k += 1) {
    if (t[k]!.text === '(') depth += 1;
    else if (t[k]!.text === ')') { depth -= 1; if (depth === 0) return k + 1; }
  }
  return t.length;
}

/** Positions of FROM words inside a function call's parentheses (extract, substring, trim, overlay). */
function functionParens(t: Token[]): Set<number> {
  const inCall = new Set<number>();
  const stack: boolean[] = [];
  for (let k = 0; k < t.length; k += 1) {
    const tok = t[k]!;
    if (tok.text === '(') {
      const prev = t[k - 1];
      const first = t[k + 1];
      const subquery = first?.kind === 'word' && ['select', 'with', 'values'].includes(first.text);
      stack.push(!subquery && prev?.kind === 'word' && !CLAUSE_WORDS.has(prev.text) && prev.text !== 'in' && prev.text !== 'exists');
    } else if (tok.text === ')') stack.pop();
    else if (tok.kind === 'word' && tok.text === 'from' && stack[stack.length - 1]) inCall.add(k);
  }
  return inCall;
}

/** Names defined by WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (...), ... */
function cteNames(t: Token[]): Set<string> {
  const names = new Set<string>();
  for (let k = 0; k < t.length; k += 1) {
    if (!(t[k]!.kind === 'word' && t[k]!.text === 'with')) continue;
    let j = k + 1;
    if (t[j]?.text === 'recursive') j += 1;
    for (;;) {
      const name = t[j];
      if (!name || (name.kind !== 'word' && name.kind !== 'quoted')) break;
      j += 1;
      if (t[j]?.text === '(') j = skipParens(t, j);
      if (t[j]?.text !== 'as') break;
      names.add(name.kind === 'quoted' ? quoteIfNeeded(name.text) : name.text);
      j += 1;
      while (t[j]?.text === 'not' || t[j]?.text === 'materialized') j += 1;
      if (t[j]?.text !== '(') break;
      j = skipParens(t, j);
      if (t[j]?.text !== ',') break;
      j += 1;
    }
  }
  return names;
}
