/**
 * The consumer group's offsets as the sinks hold them, shared by every task instance of
 * the group: (consumer_group, topic, partition) → the last offset durable in a sink. They
 * close the gap between a sink commit and the Kafka group commit after it: an instance
 * killed in between leaves Kafka's group offset behind, but not this one, so whichever
 * instance gets the partition next resumes after what is really written.
 *
 * One table per database that holds sink data, written in the batch's own transaction:
 * - `kafka_group_offsets` in the metadata database (migrations/009), for the jsonl sink
 *   and the postgres sink on the metadata database (the transaction that saves the
 *   task's checkpoint);
 * - `updraft_kafka_offsets` in a postgres sink's own database (pg-sink.ts creates it).
 * Offsets only move forward (a late commit of a slower instance never rewinds them).
 */
import type { Offsets } from './sink.ts';
import type { Run } from './sql-run.ts';

export type OffsetsTable = 'kafka_group_offsets' | 'updraft_kafka_offsets';

export class GroupOffsets {
  /** Partitions whose row is known to exist (rows are never deleted): no insert needed before locking. */
  private readonly rowExists = new Set<number>();

  constructor(private readonly table: OffsetsTable, private readonly group: string, private readonly topic: string) {}

  /** The offsets of `partitions` (all of the group's when null); partitions without one are absent. */
  async read(run: Run, partitions: readonly number[] | null): Promise<Offsets> {
    const { rows } = await run(`select partition, "offset"::text as "offset" from ${this.table}
      where consumer_group = $1 and topic = $2 and "offset" >= 0${partitions ? ' and partition = any($3::int[])' : ''}`,
    partitions ? [this.group, this.topic, [...partitions]] : [this.group, this.topic]);
    return Object.fromEntries(rows.map((r) => [String(r.partition), String(r.offset)]));
  }

  /**
   * In a batch's transaction, before its writes: locks the rows of `partitions` until the
   * transaction ends and returns their offsets. Another instance committing one of them at
   * the same moment (one that has not noticed a rebalance yet) waits for this transaction,
   * then sees its offsets: the two never both write the same records. Missing rows are
   * inserted first (offset -1: none), so there is always a row to lock.
   */
  async lock(run: Run, partitions: readonly number[]): Promise<Offsets> {
    const missing = partitions.filter((p) => !this.rowExists.has(p));
    if (missing.length) {
      await run(`insert into ${this.table} (consumer_group, topic, partition, "offset")
        select $1, $2, p, -1 from unnest($3::int[]) as u(p) on conflict do nothing`, [this.group, this.topic, missing]);
    }
    const { rows } = await run(`select partition, "offset"::text as "offset" from ${this.table}
      where consumer_group = $1 and topic = $2 and partition = any($3::int[]) for update`, [this.group, this.topic, [...partitions]]);
    const out: Offsets = {};
    for (const r of rows) if (BigInt(String(r.offset)) >= 0n) out[String(r.partition)] = String(r.offset);
    return out;
  }

  /** Raise the offsets of the partitions a batch covers to its last offsets (never lowers one). */
  async advance(run: Run, advanced: Offsets): Promise<void> {
    const parts = Object.entries(advanced);
    if (!parts.length) return;
    await run(`insert into ${this.table} as g (consumer_group, topic, partition, "offset")
      select $1, $2, p, o from unnest($3::int[], $4::bigint[]) as u(p, o)
      on conflict (consumer_group, topic, partition) do update set "offset" = greatest(g."offset", excluded."offset"), updated_at = now()`,
    [this.group, this.topic, parts.map(([p]) => Number(p)), parts.map(([, o]) => o)]);
  }

  /** After the batch's transaction committed: its partitions' rows exist from now on. */
  committed(advanced: Offsets): void {
    for (const p of Object.keys(advanced)) this.rowExists.add(Number(p));
  }
}
