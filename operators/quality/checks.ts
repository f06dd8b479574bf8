/**
 * The quality-check language: one small expression per check, tokenized and parsed
 * (never evaluated as code, never spliced into SQL).
 *
 *   check   := 'row_count' op NUMBER          -- the table's row count
 *            | column op (NUMBER | STRING | column)   -- must hold for every row
 *            | column 'is' ['not'] 'null'     -- must hold for every row
 *   op      := '>' | '>=' | '<' | '<=' | '=' | '!=' (also '<>')
 *   column  := name | "Quoted name"           -- unquoted names fold to lower case, as in PostgreSQL
 *   NUMBER  := -?digits[.digits][e[+-]digits]
 *   STRING  := 'text' ('' for a quote)
 *
 * As in a PostgreSQL CHECK constraint, a row whose comparison is NULL (a NULL value)
 * does not violate it; add `column is not null` to forbid NULLs. `row_count` is the
 * keyword; write `"row_count"` for a column of that name. Keywords are case-insensitive.
 */

export type CompareOp = '>' | '>=' | '<' | '<=' | '=' | '!=';

export type Operand =
  | { kind: 'column'; name: string }
  | { kind: 'number'; value: string }
  | { kind: 'string'; value: string };

export type Check =
  | { kind: 'row_count'; text: string; op: CompareOp; value: number }
  | { kind: 'compare'; text: string; column: string; op: CompareOp; right: Operand }
  | { kind: 'null'; text: string; column: string; negated: boolean };

type Token =
  | { t: 'ident'; v: string; raw: string }
  | { t: 'qident'; v: string }
  | { t: 'number'; v: string }
  | { t: 'string'; v: string }
  | { t: 'op'; v: CompareOp };

export class CheckSyntaxError extends Error {
  override name = 'CheckSyntaxError';
}

const OPS: ReadonlyArray<[string, CompareOp]> = [['>=', '>='], ['<=', '<='], ['!=', '!='], ['<>', '!='], ['>', '>'], ['<', '<'], ['=', '=']];
const MAX_IDENT = 63;

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const rest = src.slice(i);
    const op = OPS.find(([s]) => rest.startsWith(s));
    if (op) { out.push({ t: 'op', v: op[1] }); i += op[0].length; continue; }
    const num = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
    if (num && !/^[A-Za-z_]/.test(rest.slice(num[0].length))) { out.push({ t: 'number', v: num[0] }); i += num[0].length; continue; }
    const ident = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(rest);
    if (ident) {
      if (ident[0].length > MAX_IDENT) throw new CheckSyntaxError(`name "${ident[0].slice(0, 20)}..." is longer than ${MAX_IDENT} characters`);
      out.push({ t: 'ident', v: ident[0].toLowerCase(), raw: ident[0] }); i += ident[0].length; continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= src.length) throw new CheckSyntaxError(`unterminated ${c === "'" ? 'string' : 'quoted name'} starting at position ${i + 1}`);
        if (src[j] === c) {
          if (src[j + 1] === c) { value += c; j += 2; continue; }
          break;
        }
        value += src[j];
        j++;
      }
      if (c === '"') {
        if (value === '') throw new CheckSyntaxError(`empty quoted name at position ${i + 1}`);
        if (value.length > MAX_IDENT) throw new CheckSyntaxError(`quoted name is longer than ${MAX_IDENT} characters`);
        if (value.includes('\0')) throw new CheckSyntaxError('quoted name contains a NUL character');
      }
      out.push(c === "'" ? { t: 'string', v: value } : { t: 'qident', v: value });
      i = j + 1;
      continue;
    }
    throw new CheckSyntaxError(`unexpected character ${JSON.stringify(c)} at position ${i + 1}`);
  }
  return out;
}

function describe(tok: Token | undefined): string {
  if (!tok) return 'the end of the check';
  switch (tok.t) {
    case 'ident': return `"${tok.raw}"`;
    case 'qident': return `"${tok.v}" (quoted name)`;
    case 'number': return `number ${tok.v}`;
    case 'string': return `string '${tok.v}'`;
    case 'op': return `"${tok.v}"`;
  }
}

const KEYWORDS = new Set(['is', 'not', 'null', 'row_count']);

/** Parse one check, or throw CheckSyntaxError saying why it is invalid. */
export function parseCheck(text: string): Check {
  const toks = tokenize(text);
  if (toks.length === 0) throw new CheckSyntaxError('the check is empty');
  let pos = 0;
  const peek = () => toks[pos];
  const next = () => toks[pos++];
  const isWord = (tok: Token | undefined, w: string) => tok?.t === 'ident' && tok.v === w;
  const end = () => {
    if (pos < toks.length) throw new CheckSyntaxError(`unexpected ${describe(toks[pos])} after the end of the check`);
  };

  const first = next()!;
  if (isWord(first, 'row_count')) {
    const op = next();
    if (op?.t !== 'op') throw new CheckSyntaxError(`expected a comparison (> >= < <= = !=) after row_count, found ${describe(op)}`);
    const value = next();
    if (value?.t !== 'number') throw new CheckSyntaxError(`row_count can only be compared with a number, found ${describe(value)}`);
    end();
    return { kind: 'row_count', text, op: op.v, value: Number(value.v) };
  }
  const column = columnName(first, 'the left side');
  const after = next();
  if (isWord(after, 'is')) {
    let negated = false;
    if (isWord(peek(), 'not')) { negated = true; pos++; }
    const nul = next();
    if (!isWord(nul, 'null')) throw new CheckSyntaxError(`expected "null" after "is${negated ? ' not' : ''}", found ${describe(nul)}`);
    end();
    return { kind: 'null', text, column, negated };
  }
  if (after?.t !== 'op') throw new CheckSyntaxError(`expected a comparison (> >= < <= = !=) or "is [not] null" after "${column}", found ${describe(after)}`);
  const r = next();
  let right: Operand;
  if (r?.t === 'number') right = { kind: 'number', value: r.v };
  else if (r?.t === 'string') right = { kind: 'string', value: r.v };
  else if (isWord(r, 'row_count')) throw new CheckSyntaxError('row_count must be on the left side, compared with a number');
  else if (r?.t === 'ident' || r?.t === 'qident') right = { kind: 'column', name: columnName(r, 'the right side') };
  else throw new CheckSyntaxError(`expected a number, a 'string' or a column after "${after.v}", found ${describe(r)}`);
  end();
  return { kind: 'compare', text, column, op: after.v, right };
}

function columnName(tok: Token, where: string): string {
  if (tok.t === 'qident') return tok.v;
  if (tok.t === 'ident' && !KEYWORDS.has(tok.v)) return tok.v;
  throw new CheckSyntaxError(`expected row_count or a column name on ${where}, found ${describe(tok)}`);
}

/** Does a row count satisfy a row_count check? */
export function compareNumbers(left: number, op: CompareOp, right: number): boolean {
  switch (op) {
    case '>': return left > right;
    case '>=': return left >= right;
    case '<': return left < right;
    case '<=': return left <= right;
    case '=': return left === right;
    case '!=': return left !== right;
  }
}
