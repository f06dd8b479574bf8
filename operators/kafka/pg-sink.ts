/**
 * The `postgres` sink. Each batch is one transaction that locks the group's offsets of
 * its partitions (group-offsets.ts), loads the records into a temporary table, inserts
 * the sink rows from it (through the sql transform, if any), and stores the offsets:
 * - on the metadata database (no conn_id, or `postgres_default`) the offsets are the
 *   task's checkpoint, saved by ctx.checkpoint.commitWith in that same transaction, and
 *   the group's offsets go to `kafka_group_offsets` there;
 * - on another database, they go to `updraft_kafka_offsets` (per consumer group, topic
 *   and partition) in that database, again in the batch's transaction: that table is
 *   both this task's checkpoint and the group's offsets.
 * Records at or below the group's offset (another instance of the group wrote them) are
 * left out. The table is created if missing: value jsonb, key, headers jsonb, timestamp,
 * topic, partition, offset (or the transform's columns after topic, partition, offset),
 * with (topic, partition, offset) unique; rows already there are skipped (ON CONFLICT DO
 * NOTHING), a last guard beside the offsets.
 */
import type pg from 'pg';
import type { TaskContext } from '../../core/authoring/context.ts';
import { quoteIdent, quoteTable, type TableName } from '../sql/identifiers.ts';
import { GroupOffsets } from './group-offsets.ts';
import { notCovered, ownCheckpoint, readOnMetadata, type ExtractCheckpoint, type Offsets, type Sink, type SinkBatch, type SinkRecord } from './sink.ts';
import { knexRun, pgRun, type Run } from './sql-run.ts';
import { sinkSelect } from './sql-transform.ts';

const BATCH = 'updraft_kafka_batch';
const RECORD_COLUMNS = 'value jsonb, key text, headers jsonb, "timestamp" timestamptz, topic text, partition int, "offset" bigint';

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

/** Locks the group's offsets, writes the records they do not cover, raises them; returns how many were left out. */
async function writeGuarded(run: Run, c: Common, shared: GroupOffsets, records: SinkRecord[], advanced: Offsets, state: { ready: boolean }): Promise<number> {
  const covered = await shared.lock(run, Object.keys(advanced).map(Number));
  const rows = notCovered(records, covered);
  await writeBatch(run, c, rows, state);
  await shared.advance(run, advanced);
  return records.length - rows.length;
}

/** Sink on the metadata database: the offsets are the task's checkpoint, saved with the rows. */
export class MetadataPgSink implements Sink {
  readonly description: string;
  private readonly state = { ready: false };
  private readonly shared: GroupOffsets;
  private saved: ExtractCheckpoint;
  constructor(private readonly c: Common) {
    this.description = `table ${quoteTable(c.table)} on the metadata database`;
    this.shared = new GroupOffsets('kafka_group_offsets', c.group, c.topic);
    this.saved = { topic: c.topic, consumer_group: c.group, offsets: {} };
  }

  async open(): Promise<Offsets | null> {
    const cp = ownCheckpoint(await this.c.ctx.checkpoint.load<ExtractCheckpoint>(), this.c.topic, this.c.group);
    if (cp) this.saved = cp;
    return cp ? cp.offsets : null;
  }

  async groupOffsets(partitions: readonly number[] | null): Promise<Offsets> {
    return readOnMetadata(this.c.ctx, this.saved, (run) => this.shared.read(run, partitions));
  }

  async write(batch: SinkBatch, offsets: Offsets, advanced: Offsets): Promise<number> {
    const value: ExtractCheckpoint = { topic: this.c.topic, consumer_group: this.c.group, offsets };
    const dropped = await this.c.ctx.checkpoint.commitWith(value, (trx) => writeGuarded(knexRun(trx), this.c, this.shared, batch.records, advanced, this.state));
    this.shared.committed(advanced);
    this.saved = value;
    return dropped;
  }
}

const OFFSETS_TABLE = 'updraft_kafka_offsets';

/** Sink on another database: the offsets live there, in the same transaction as the rows. */
export class ExternalPgSink implements Sink {
  readonly description: string;
  private readonly state = { ready: false };
  private readonly run: Run;
  private readonly shared: GroupOffsets;
  constructor(private readonly client: pg.Client, connId: string, private readonly c: Common) {
    this.description = `table ${quoteTable(c.table)} on connection "${connId}"`;
    this.run = pgRun(client);
    this.shared = new GroupOffsets(OFFSETS_TABLE, c.group, c.topic);
  }

  async open(): Promise<Offsets | null> {
    await this.inTransaction(async () => {
      await this.run('select pg_advisory_xact_lock(hashtext($1))', [`updraft.kafka_sink:${OFFSETS_TABLE}`]);
      await this.run(`create table if not exists ${OFFSETS_TABLE} (consumer_group text, topic text, partition int,
        "offset" bigint not null, updated_at timestamptz not null default now(), primary key (consumer_group, topic, partition))`);
    });
    const offsets = await this.shared.read(this.run, null);
    return Object.keys(offsets).length ? offsets : null;
  }

  async groupOffsets(partitions: readonly number[] | null): Promise<Offsets> {
    return this.shared.read(this.run, partitions);
  }

  async write(batch: SinkBatch, _offsets: Offsets, advanced: Offsets): Promise<number> {
    // The table holds every partition's offset already: only those this batch moves change.
    const dropped = await this.inTransaction(() => writeGuarded(this.run, this.c, this.shared, batch.records, advanced, this.state));
    this.shared.committed(advanced);
    return dropped;
  }

  private async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.client.query('BEGIN');
    try {
      const result = await fn();
      await this.client.query('COMMIT');
      return result;
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
