/**
 * SqlSensor (`type: sql_sensor`): runs templated `sql` on a PostgreSQL connection
 * (`conn_id`, default postgres_default) until the first cell of the first row is truthy
 * in Python's sense (Airflow's SqlSensor): not NULL, false, 0, '' or an empty list/object.
 * PostgreSQL's bigint and numeric values (count(*)) arrive as text and are compared as
 * numbers, so `select count(*) ...` works as in Airflow.
 *
 * - `parameters`: bound like the sql operator's (a list for $1, an object for %(name)s).
 * - `fail_on_empty`: no row fails the sensor instead of poking again.
 * - `success(value)` / `failure(value)` (TypeScript only): custom criteria on the first
 *   cell; `failure` returning true fails the sensor without retry.
 */
import type pg from 'pg';
import { z } from 'zod';
import type { TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { TaskFailNow } from '../../core/errors.ts';
import { bindParameters } from '../sql/parameters.ts';
import { withPgClient } from '../sql/pg-client.ts';
import { DEFAULT_CONN_ID } from '../sql/sql-operator.ts';
import { BaseSensorOperator, SENSOR_ARGS, type PokeResult } from './base-sensor.ts';

const SqlSensorArgsSchema = z.object({
  ...SENSOR_ARGS,
  sql: z.string().min(1, 'sql must not be empty'),
  conn_id: z.string().min(1).optional(),
  parameters: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).nullable().optional(),
  fail_on_empty: z.boolean().optional(),
}).strict();
export type SqlSensorArgs = z.infer<typeof SqlSensorArgsSchema>;

export type SqlCriterion = (firstCell: unknown) => boolean | Promise<boolean>;

/** PostgreSQL type oids that node-pg returns as text although they are numbers. */
const NUMERIC_AS_TEXT = new Set([20 /* int8 */, 1700 /* numeric */]);

export class SqlSensor extends BaseSensorOperator<SqlSensorArgs> {
  readonly operatorType = 'sql_sensor';
  override readonly templateFields = ['sql', 'parameters'];
  override readonly needsDagFile: boolean;
  readonly success: SqlCriterion | null;
  readonly failure: SqlCriterion | null;

  constructor(args: TaskArgs & SqlSensorArgs & { success?: SqlCriterion; failure?: SqlCriterion }) {
    const { success, failure, ...rest } = args;
    super(rest, SqlSensorArgsSchema);
    for (const [name, fn] of [['success', success], ['failure', failure]] as const) {
      if (fn !== undefined && typeof fn !== 'function') throw new Error(`task "${args.task_id}": ${name} must be a function`);
    }
    this.success = success ?? null;
    this.failure = failure ?? null;
    // Functions cannot be serialized: workers import the DAG file to get them.
    this.needsDagFile = this.success !== null || this.failure !== null;
  }

  async poke(args: SqlSensorArgs, ctx: TaskContext): Promise<PokeResult> {
    const connId = args.conn_id ?? DEFAULT_CONN_ID;
    const conn = await ctx.getConnection(connId);
    const bound = bindParameters(args.sql.trim(), args.parameters);
    ctx.log.info(`poking with SQL on connection "${connId}": ${args.sql.replace(/\s+/g, ' ').slice(0, 300)}`);
    const first = await withPgClient(conn, ctx.signal, (client) => firstRow(client, bound.text, bound.values));
    if (first === null) {
      if (args.fail_on_empty) throw new TaskFailNow('No rows returned, raising as per fail_on_empty flag');
      return false;
    }
    if (this.failure && await this.failure(first.value)) {
      throw new TaskFailNow(`Failure criteria met. failure(${JSON.stringify(first.value)}) returned true`);
    }
    if (this.success) return Boolean(await this.success(first.value));
    return pythonTruthy(first.value);
  }
}

/** The first cell of the first row (null when no row), with numbers-as-text turned into numbers. */
async function firstRow(client: pg.Client, text: string, values: unknown[]): Promise<{ value: unknown } | null> {
  const reply = (await client.query<unknown[]>({ text, values, rowMode: 'array' })) as pg.QueryResult<unknown[]> | Array<pg.QueryResult<unknown[]>>;
  // Several statements (no parameters) give one result each: the last one decides.
  const res = Array.isArray(reply) ? reply[reply.length - 1] : reply;
  if (!res) return null;
  const row = res.rows[0];
  if (!row) return null;
  const raw = row[0];
  const type = res.fields[0]?.dataTypeID;
  const value = typeof raw === 'string' && type !== undefined && NUMERIC_AS_TEXT.has(type) ? Number(raw) : raw;
  return { value };
}

/** Python's bool(): what Airflow's SqlSensor tests the first cell with. */
export function pythonTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '') return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'bigint') return v !== 0n;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Date) return true;
  if (Buffer.isBuffer(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}
