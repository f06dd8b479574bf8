/**
 * The `postgres` sink. Each batch is one transaction that loads the records into a
 * temporary table, inserts the sink rows from it (through the sql transform, if any),
 * and stores the offsets:
 * - on the metadata database (no conn_id, or `postgres_default`) the offsets are the
 *   task's checkpoint, saved by ctx.checkpoint.commitWith in that same transaction;
 * - on another database, they go to `updraft_kafka_offsets` (per consumer group, topic
 *   and partition) in that database, again in the batch's transaction.
 * The table is created if missing: value jsonb, key, headers jsonb, timestamp, topic,
 * partition, offset (or the transform's columns after topic, partition, offset), with
 * (topic, partition, offset) unique; rows already there are skipped (ON CONFLICT DO
 * NOTHING), a second guard beside the offsets.
 */
import type { Knex } from 'knex';
import type pg from 'pg';
import type { TaskContext } from '../../core/authoring/context.ts';
import { quoteIdent, quoteTable, type TableName } from '../sql/identifiers.ts';
import { ownCheckpoint, type ExtractCheckpoint, type Offsets, type Sink, type SinkRecord } from './sink.ts';
import { sinkSelect } from './sql-transform.ts';

/** A statement runner over a knex transaction or a pg client; params are $1, $2, ... */
type Run = (sql: string, params?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;

const BATCH = 'updraft_kafka_batch';
const RECORD_COLUMNS = 'value jsonb, key text, headers jsonb, "timestamp" timestamptz, topic text, partition int, "offset" bigint';

export function knexRun(trx: Knex.Transaction): Run {
  // knex binds "?"; only our own statements carry parameters, the user's SQL runs bare.
  return async (sql, params) => (params ? trx.raw(sql.replace(/\$\d+/g, '?'), params as Knex.RawBinding[]) : trx.raw(sql)) as Promise<{ rows: Array<Record<string, unknown>> }>;
}

export function pgRun(client: pg.Client): Run {
  return async (sql, params) => client.query(sql, params);
}

interface Common { table: TableName; transformSql: string | undefined; topic: string; group: string; ctx: TaskContext }

/** Load the batch and insert the sink rows; creates the table on the first batch of a try. */
async function writeBatch(run: Run, c: Common, records: SinkRecord[], state: { ready: boolean }): Promise<void> {
  await run(`create temp table if not exists ${BATCH} (${RECORD_COLUMNS}) on commit drop`);
  await run(`insert into ${BATCH} select * from jsonb_to_recordset($1::jsonb) as r(${RECORD_COLUMNS})`, [JSON.stringify(records)]);
  const select = sinkSelect(BATCH, c.transformSql);
  if (!state.ready) await ensureTable(run, c.table, select, c.transformSql !== undefined);
  state.ready = true;
  if (records.length) await run(`insert into ${quoteTable(c.table)} ${select} on conflict do nothing`);
}

async function ensureTable(run: Run, t: TableName, select: string, transformed: boolean): Promise<void> {
  // Concurrent extracts creating the same table take turns (IF NOT EXISTS alone can race).
  await run('select pg_advisory_xact_lock(hashtext($1))', [`updraft.kafka_sink:${quoteTable(t)}`]);
  if (t.schema !== null) await run(`create schema if not exists ${quoteIdent(t.schema)}`);
  const name = quoteTable(t);
  if (transformed) await run(`create table if not exists ${name} as ${select} with no data`);
  else await run(`create table if not exists ${name} (value jsonb, key text, headers jsonb, "timestamp" timestamptz,
    topic text not null, partition int not null, "offset" bigint not null)`);
  const index = quoteIdent(`${t.table.slice(0, 50)}_kafka_tpo`);
  await run(`create unique index if not exists ${index} on ${name} (topic, partition, "offset")`);
}

/** Sink on the metadata database: the offsets are the task's checkpoint, saved with the rows. */
export class MetadataPgSink implements Sink {
  readonly description: string;
  private readonly state = { ready: false };
  constructor(private readonly c: Common) { this.description = `table ${quoteTable(c.table)} on the metadata database`; }

  async open(): Promise<Offsets | null> {
    const cp = ownCheckpoint(await this.c.ctx.checkpoint.load<ExtractCheckpoint>(), this.c.topic, this.c.group);
    return cp ? cp.offsets : null;
  }

  async write(records: SinkRecord[], offsets: Offsets): Promise<void> {
    const value: ExtractCheckpoint = { topic: this.c.topic, consumer_group: this.c.group, offsets };
    await this.c.ctx.checkpoint.commitWith(value, (trx) => writeBatch(knexRun(trx), this.c, records, this.state));
  }
}

const OFFSETS_TABLE = 'updraft_kafka_offsets';

/** Sink on another database: the offsets live there, in the same transaction as the rows. */
export class ExternalPgSink implements Sink {
  readonly description: string;
  private readonly state = { ready: false };
  private readonly run: Run;
  constructor(private readonly client: pg.Client, connId: string, private readonly c: Common) {
    this.description = `table ${quoteTable(c.table)} on connection "${connId}"`;
    this.run = pgRun(client);
  }

  async open(): Promise<Offsets | null> {
    await this.inTransaction(async () => {
      await this.run('select pg_advisory_xact_lock(hashtext($1))', [`updraft.kafka_sink:${OFFSETS_TABLE}`]);
      await this.run(`create table if not exists ${OFFSETS_TABLE} (consumer_group text, topic text, partition int,
        "offset" bigint not null, updated_at timestamptz not null default now(), primary key (consumer_group, topic, partition))`);
    });
    const { rows } = await this.run(`select partition, "offset"::text as "offset" from ${OFFSETS_TABLE} where consumer_group = $1 and topic = $2`, [this.c.group, this.c.topic]);
    return rows.length ? Object.fromEntries(rows.map((r) => [String(r.partition), String(r.offset)])) : null;
  }

  async write(records: SinkRecord[], offsets: Offsets): Promise<void> {
    await this.inTransaction(async () => {
      await writeBatch(this.run, this.c, records, this.state);
      const parts = Object.entries(offsets);
      await this.run(`insert into ${OFFSETS_TABLE} (consumer_group, topic, partition, "offset")
        select $1, $2, p, o from unnest($3::int[], $4::bigint[]) as u(p, o)
        on conflict (consumer_group, topic, partition) do update set "offset" = excluded."offset", updated_at = now()`,
      [this.c.group, this.c.topic, parts.map(([p]) => Number(p)), parts.map(([, o]) => o)]);
    });
  }

  private async inTransaction(fn: () => Promise<void>): Promise<void> {
    await this.client.query('BEGIN');
    try {
      await fn();
      await this.client.query('COMMIT');
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
