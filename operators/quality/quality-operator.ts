/**
 * QualityOperator (`type: quality`): data-quality `checks` on a table (see checks.ts
 * for the language). `table` defaults to the `output` of the direct upstream `sql`
 * task; `conn_id` defaults to `postgres_default`. All checks are evaluated with one
 * bound, quoted query (one table scan). Each failing check is logged with its count
 * and listed in the task's error; the return value (XCom) is the table's row count.
 * Invalid checks are import errors: they are parsed when the DAG is built.
 */
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { parseTableName, quoteIdent, quoteTable } from '../sql/identifiers.ts';
import { withPgClient } from '../sql/pg-client.ts';
import { DEFAULT_CONN_ID } from '../sql/sql-operator.ts';
import { CheckSyntaxError, compareNumbers, parseCheck, type Check } from './checks.ts';

const QualityArgsSchema = z.object({
  checks: z.array(z.string({ error: 'each check must be a string' }), { error: 'checks is required (a list of checks such as "row_count > 0")' })
    .min(1, 'checks must not be empty'),
  table: z.string().min(1, 'table must not be empty').nullable().optional(),
  conn_id: z.string().min(1).optional(),
}).strict();
export type QualityArgs = z.infer<typeof QualityArgsSchema>;

/** Parse every check now, so an invalid one fails the DAG's import with a clear message. */
function validated<A extends TaskArgs & Partial<QualityArgs>>(args: A): A {
  const checks: unknown = args?.checks;
  if (Array.isArray(checks)) {
    for (const c of checks) {
      if (typeof c !== 'string') continue; // the schema reports it
      try {
        parseCheck(c);
      } catch (err) {
        if (!(err instanceof CheckSyntaxError)) throw err;
        throw new Error(`task "${args.task_id}": invalid check ${JSON.stringify(c)}: ${err.message}`);
      }
    }
  }
  return args;
}

export class QualityOperator extends BaseOperator<QualityArgs> {
  readonly operatorType = 'quality';
  override readonly templateFields = ['table'];

  constructor(args: TaskArgs & QualityArgs) {
    super(validated(args), QualityArgsSchema);
  }

  async execute(args: QualityArgs, ctx: TaskContext): Promise<number> {
    const tableText = args.table ?? upstreamOutput(ctx);
    const table = parseTableName(tableText, args.table ? 'table' : 'the upstream sql task\'s output');
    const checks = args.checks.map(parseCheck);
    const connId = args.conn_id ?? DEFAULT_CONN_ID;
    const conn = await ctx.getConnection(connId);

    const values: unknown[] = [];
    const bind = (v: unknown) => { values.push(v); return `$${values.length}`; };
    const columns = ['count(*) as row_count'];
    checks.forEach((c, i) => { if (c.kind !== 'row_count') columns.push(`count(*) filter (where ${violation(c, bind)}) as v${i}`); });
    const sql = `select ${columns.join(', ')} from ${quoteTable(table)}`;
    ctx.log.info(`checking ${tableText} on connection "${connId}": ${checks.length} check(s)`);
    const row = await withPgClient(conn, ctx.signal, async (client) => (await client.query(sql, values)).rows[0] as Record<string, unknown>);

    const rowCount = Number(row.row_count);
    const failures: string[] = [];
    checks.forEach((c, i) => {
      if (c.kind === 'row_count') {
        if (compareNumbers(rowCount, c.op, c.value)) ctx.log.info(`check "${c.text}" passed (row_count is ${rowCount})`);
        else failures.push(`check "${c.text}" failed: row_count is ${rowCount}`);
      } else {
        const bad = Number(row[`v${i}`]);
        if (bad === 0) ctx.log.info(`check "${c.text}" passed`);
        else failures.push(`check "${c.text}" failed: ${bad} ${bad === 1 ? 'row violates' : 'rows violate'} it`);
      }
    });
    for (const f of failures) ctx.log.error(f);
    if (failures.length) {
      throw new Error(`${failures.length} of ${checks.length} quality check(s) failed on ${tableText}: ${failures.join('; ')}`);
    }
    ctx.log.info(`all ${checks.length} check(s) passed on ${tableText} (${rowCount} rows)`);
    return rowCount;
  }
}

const SQL_OPS: Record<string, string> = { '>': '>', '>=': '>=', '<': '<', '<=': '<=', '=': '=', '!=': '<>' };

/** A predicate true for the rows that violate a row-level check (NULL comparisons do not). */
function violation(c: Exclude<Check, { kind: 'row_count' }>, bind: (v: unknown) => string): string {
  const col = quoteIdent(c.column);
  if (c.kind === 'null') return c.negated ? `${col} is null` : `${col} is not null`;
  const r = c.right;
  const right = r.kind === 'column' ? quoteIdent(r.name) : r.kind === 'number' ? `${bind(r.value)}::numeric` : bind(r.value);
  return `not (${col} ${SQL_OPS[c.op]} ${right})`;
}

/** The `output` of the direct upstream sql task(s), when there is exactly one. */
function upstreamOutput(ctx: TaskContext): string {
  const outputs = [...new Set(ctx.upstream
    .filter((t) => t.operator === 'sql' && typeof t.args.output === 'string' && t.args.output !== '')
    .map((t) => ctx.render(t.args.output as string)))];
  if (outputs.length === 1) return outputs[0]!;
  if (outputs.length === 0) {
    throw new Error(`task "${ctx.task_id}": no table to check: set "table", or make the task directly downstream of a sql task that has an "output"`);
  }
  throw new Error(`task "${ctx.task_id}": several upstream sql tasks have an output (${outputs.join(', ')}); set "table" to choose one`);
}
