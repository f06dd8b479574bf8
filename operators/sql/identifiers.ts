/**
 * SQL identifiers given as arguments (`output: "analytics.revenue_by_region"`, a
 * quality check's table): validated against a strict pattern, then always quoted, so an
 * argument can never smuggle SQL into a statement.
 */

/** A plain PostgreSQL identifier: a letter or underscore, then letters, digits, `_` or `$`; at most 63 bytes. */
const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

export interface TableName { schema: string | null; table: string }

export function isIdentifier(name: string): boolean {
  return IDENT.test(name);
}

/**
 * "schema.table" or "table" → its parts, or an error naming the argument. Names are
 * used as written (quoted): `Orders` and `orders` are different tables, as in a quoted
 * PostgreSQL identifier.
 */
export function parseTableName(value: string, argName: string): TableName {
  const parts = value.split('.');
  const bad = () => new Error(`${argName}: ${JSON.stringify(value)} is not a table name: use "table" or "schema.table", `
    + 'each part a letter or "_" followed by letters, digits, "_" or "$" (at most 63 characters)');
  if (parts.length > 2 || !parts.every(isIdentifier)) throw bad();
  return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { schema: null, table: parts[0]! };
}

/** A double-quoted identifier (embedded quotes doubled, though validated names have none). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteTable(t: TableName): string {
  return t.schema === null ? quoteIdent(t.table) : `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}
