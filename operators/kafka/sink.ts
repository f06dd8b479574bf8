/**
 * Where an extract lands its micro-batches. A sink writes a batch and records the
 * offsets it covers atomically (one PostgreSQL transaction, or fdatasync then checkpoint
 * for a file that is truncated back on retry), so after a crash the batch is either fully
 * there with its offsets, or absent with the old offsets: the next try resumes exactly
 * after what the sink holds.
 */
import type { TaskContext } from '../../core/authoring/context.ts';
import { knexRun, type Run } from './sql-run.ts';

/** One decoded record as the sink stores it. */
export interface SinkRecord {
  value: unknown;
  key: string | null;
  headers: Record<string, string>;
  /** ISO-8601, from the record's Kafka timestamp. */
  timestamp: string;
  topic: string;
  partition: number;
  offset: string;
}

/** One shared object for the common case of a record without headers (no allocation per record). */
export const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Partition → the last offset the sink holds (int64 as a string, as Kafka gives them). */
export type Offsets = Record<string, string>;

/** What is stored as the task's checkpoint (and, for a file sink, the file's size then). */
export interface ExtractCheckpoint { topic: string; consumer_group: string; offsets: Offsets; file_size?: number }

/** Records of one partition already written as jsonl lines (jsonl-lines.ts), offsets first..last (dead letters included). */
export interface LineChunk { partition: number; first: string; last: string; bytes: Buffer; lines: number }

/** What one commit hands a sink: records as objects, or (for a sink of jsonl lines) as lines. */
export interface SinkBatch { records: SinkRecord[]; lines: LineChunk[] }

export interface Sink {
  readonly description: string;
  /**
   * True for a sink that stores jsonl lines: the decoder writes records straight into
   * them (no object per record) and `write` gets them in `batch.lines`.
   */
  readonly jsonLines?: boolean;
  /** Prepare (a retry truncates a file back); the offsets the sink already holds, or null. */
  open(): Promise<Offsets | null>;
  /**
   * The offsets durable in a sink for the whole consumer group (every task instance that
   * shares it), for the given partitions (null: all): where a partition that moved between
   * instances resumes, even when the instance that wrote them died before its Kafka commit.
   */
  groupOffsets(partitions: readonly number[] | null): Promise<Offsets>;
  /**
   * Optional first half of a write, run while the previous batch's write is still in
   * flight (committer.ts): called once per batch, in commit order, before write(batch).
   * What it does must be undone by a retry when the write never commits (the jsonl sink
   * appends its lines here; a retry truncates them).
   */
  stage?(batch: SinkBatch): Promise<void>;
  /**
   * Write the batch and, with it, `offsets` (this instance's checkpoint: all its
   * partitions' positions after this batch) and `advanced` (the last offset of each
   * partition this batch covers) as the group's offsets. Records at or below the group's
   * offset of their partition (another instance wrote them since) are dropped, inside the
   * same transaction; their number is returned.
   */
  write(batch: SinkBatch, offsets: Offsets, advanced: Offsets): Promise<number>;
}

/**
 * `records` without those at or below `covered`'s offset of their partition (the sink
 * holds them already). A partition's records come in ascending offsets, so when its first
 * one is above the floor all of them are: no BigInt per record in the usual case.
 */
export function notCovered<T extends SinkRecord>(records: T[], covered: Offsets): T[] {
  const floors = new Map<number, bigint>();
  for (const [p, o] of Object.entries(covered)) floors.set(Number(p), BigInt(o));
  if (!floors.size) return records;
  const keepAll = new Map<number, boolean>();
  let drop = false;
  for (const r of records) {
    if (keepAll.has(r.partition)) continue;
    const floor = floors.get(r.partition);
    const keep = floor === undefined || BigInt(r.offset) > floor;
    keepAll.set(r.partition, keep);
    drop ||= !keep;
  }
  if (!drop) return records;
  return records.filter((r) => keepAll.get(r.partition) || BigInt(r.offset) > floors.get(r.partition)!);
}

/** Raise `target`'s offsets to `by`'s where those are further (offsets never go back). */
export function raiseOffsets(target: Offsets, by: Offsets): void {
  for (const [p, o] of Object.entries(by)) {
    const cur = target[p];
    if (cur === undefined || BigInt(o) > BigInt(cur)) target[p] = o;
  }
}

/**
 * A read on the metadata database, for a sink whose offsets live there. A task reaches
 * that database only through its checkpoint handle, so `read` runs in a commitWith
 * transaction that saves the checkpoint unchanged (`saved`: the value last committed).
 * Called at the start and at (re)assignments, when no batch commit is in flight (consume.ts
 * drains them first), so it never overwrites a newer checkpoint. (A read-only method on
 * the checkpoint handle would spare the write.)
 */
export async function readOnMetadata<T>(ctx: TaskContext, saved: ExtractCheckpoint, read: (run: Run) => Promise<T>): Promise<T> {
  return ctx.checkpoint.commitWith(saved, (trx) => read(knexRun(trx)));
}

/** A checkpoint of this extract, ignoring one written for another topic or group. */
export function ownCheckpoint(cp: ExtractCheckpoint | null, topic: string, group: string): ExtractCheckpoint | null {
  return cp && cp.topic === topic && cp.consumer_group === group && cp.offsets ? cp : null;
}
