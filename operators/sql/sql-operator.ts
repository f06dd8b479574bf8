/**
 * SqlOperator (`type: sql`): runs a templated query on a PostgreSQL connection.
 *
 * - `query` (or Airflow's name `sql`): the statement; Jinja and `${execution_date}` are
 *   rendered first. `parameters` (a list for `$1, $2, ...`, or an object for
 *   `%(name)s`) are bound by the driver, never spliced into the text.
 * - `conn_id` (default `postgres_default`, which is the metadata database unless defined).
 * - `output` ("schema.table" or "table"): the query's result replaces that table
 *   atomically: in one transaction the schema is created if missing, the result is
 *   written to a new table, the old table is dropped and the new one renamed. Readers
 *   see the old table or the new one, never none; a failing query leaves the old table
 *   as it was. The new table has the query's columns only (no indexes, grants or
 *   constraints of the old one).
 * - Returns (XCom `return_value`) the statement's row count: rows written to `output`,
 *   rows returned by a SELECT, rows changed by INSERT/UPDATE/DELETE; null for
 *   statements without a count (DDL). For several statements without parameters,
 *   the last one's.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { parseTableName, quoteIdent, quoteTable, type TableName } from './identifiers.ts';
import { bindParameters } from './parameters.ts';
import { withPgClient } from './pg-client.ts';

export const DEFAULT_CONN_ID = 'postgres_default';

const SqlArgsSchema = z.object({
  query: z.string().min(1, 'query must not be empty').optional(),
  sql: z.string().min(1, 'sql must not be empty').optional(),
  conn_id: z.string().min(1).optional(),
  parameters: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).nullable().optional(),
  output: z.string().min(1, 'output must not be empty').nullable().optional(),
}).strict()
  .refine((a) => (a.query === undefined) !== (a.sql === undefined), { message: 'give the statement as "query" (or "sql"), exactly one of them' })
  .refine((a) => !a.output || a.output.includes('{{') || isTableName(a.output), {
    path: ['output'],
    message: 'not a table name: use "table" or "schema.table" (letters, digits, "_", "$"; starting with a letter or "_")',
  });
export type SqlArgs = z.infer<typeof SqlArgsSchema>;

function isTableName(v: string): boolean {
  try { parseTableName(v, 'output'); return true; } catch { return false; }
}

export class SqlOperator extends BaseOperator<SqlArgs> {
  readonly operatorType = 'sql';
  override readonly templateFields = ['query', 'sql', 'parameters', 'output'];

  constructor(args: TaskArgs & SqlArgs) {
    super(args, SqlArgsSchema as unknown as z.ZodType<SqlArgs>);
  }

  async execute(args: SqlArgs, ctx: TaskContext): Promise<number | null> {
    const query = (args.query ?? args.sql ?? '').trim();
    const connId = args.conn_id ?? DEFAULT_CONN_ID;
    const output = args.output ? parseTableName(args.output, 'output') : null;
    const conn = await ctx.getConnection(connId);
    const bound = bindParameters(query, args.parameters);
    ctx.log.info(`running on connection "${connId}"${output ? ` into ${args.output}` : ''}: ${oneLine(query)}`);
    const count = await withPgClient(conn, ctx.signal, (client) => output
      ? replaceTable(client, output, bound.text, bound.values)
      : runStatement(client, bound.text, bound.values));
    ctx.log.info(output ? `${args.output} now holds ${count} rows` : `rows: ${count ?? 'none'}`);
    return count;
  }
}

async function runStatement(client: pg.Client, text: string, values: unknown[]): Promise<number | null> {
  const result = (values.length ? await client.query(text, values) : await client.query(text)) as pg.QueryResult | pg.QueryResult[];
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  return last?.rowCount ?? null;
}

/** CREATE TABLE tmp AS query; DROP old; RENAME tmp — one transaction, serialized per table. */
async function replaceTable(client: pg.Client, target: TableName, text: string, values: unknown[]): Promise<number> {
  const select = text.replace(/[\s;]+$/, '');
  const tmpName = `${target.table.slice(0, 40)}__updraft_${randomBytes(4).toString('hex')}`;
  const tmp: TableName = { schema: target.schema, table: tmpName };
  await client.query('BEGIN');
  try {
    // Two runs writing the same table take turns instead of racing on the rename.
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [`updraft.output:${quoteTable(target)}`]);
    if (target.schema !== null) await ensureSchema(client, target.schema);
    const created = await client.query(`CREATE TABLE ${quoteTable(tmp)} AS ${select}`, values);
    await client.query(`DROP TABLE IF EXISTS ${quoteTable(target)}`);
    await client.query(`ALTER TABLE ${quoteTable(tmp)} RENAME TO ${quoteIdent(target.table)}`);
    await client.query('COMMIT');
    return created.rowCount ?? 0;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Create a missing schema; concurrent creators take turns (CREATE SCHEMA IF NOT EXISTS alone can race). */
async function ensureSchema(client: pg.Client, schema: string): Promise<void> {
  const exists = await client.query('select 1 from pg_namespace where nspname = $1', [schema]);
  if (exists.rowCount) return;
  await client.query('select pg_advisory_xact_lock(hashtext($1))', [`updraft.schema:${schema}`]);
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > 500 ? `${flat.slice(0, 500)}...` : flat;
}
