/**
 * Per partition, the decoded records not yet handed to the committer, and when they
 * close into a micro-batch:
 * - at `maxRecords` records (the caller decodes in slices that fill a batch exactly);
 * - without a checkpoint interval, at the end of every fetched batch (what one fetch
 *   returned, up to maxRecords, commits at once);
 * - with one, when `intervalMs` has passed since the partition's previous micro-batch
 *   closed (or since it was assigned): records of a slow topic accumulate across fetches
 *   in memory until then. A timer closes them even when no fetch returns anything.
 * Buffered records are only ever dropped (abort, rebalance), never committed late: the
 * committed offsets say where reading resumes.
 */
import type { DecodedChunk } from './records.ts';

/** Records of one partition that commit together (after any earlier micro-batch of that partition). */
export interface MicroBatch {
  partition: number;
  /** Its chunks, in offset order: decoded, or being decoded (avro/protobuf may wait for the registry). */
  chunks: Array<Promise<DecodedChunk>>;
  /** Kafka messages covered (records and dead letters). */
  count: number;
  /** First and last offset covered (poison records included). */
  first: string;
  last: string;
  /** The partition's high watermark when its last records were fetched (for the lag). */
  highWatermark: string;
}

interface Pending {
  chunks: Array<Promise<DecodedChunk>>; count: number; first: string | null; last: string | null; highWatermark: string;
  /** When its previous micro-batch closed (or the partition was assigned), for the interval. */
  since: number;
  /** The last offset taken (buffered or closed): re-delivered records at or below are skipped. */
  taken: bigint;
}

export class MicroBatcher {
  private readonly parts = new Map<number, Pending>();
  private readonly timer: NodeJS.Timeout | null = null;

  constructor(private readonly maxRecords: number, private readonly intervalMs: number | undefined, private readonly emit: (batch: MicroBatch) => void) {
    if (intervalMs !== undefined) {
      this.timer = setInterval(() => this.closeDue(), Math.min(1000, Math.max(20, intervalMs / 10)));
      this.timer.unref();
    }
  }

  /** At an assignment: the partition starts empty, resuming after `lastDone` (-1n: from its start position). */
  reset(partition: number, lastDone: bigint): void {
    this.parts.set(partition, { chunks: [], count: 0, first: null, last: null, highWatermark: '0', since: Date.now(), taken: lastDone });
  }

  /** Forget every partition and its buffered records (a rebalance: reading resumes from the committed offsets). */
  dropAll(): void { this.parts.clear(); }

  /** The last offset taken for the partition, or undefined when it is not assigned here. */
  taken(partition: number): bigint | undefined { return this.parts.get(partition)?.taken; }

  /** Room left in the partition's current micro-batch. */
  room(partition: number): number { return this.maxRecords - (this.parts.get(partition)?.count ?? 0); }

  /** Adds a chunk of `count` messages, offsets first..last; closes the micro-batch when it is full. */
  add(partition: number, chunk: Promise<DecodedChunk>, first: string, last: string, count: number, highWatermark: string): void {
    // A chunk dropped before its commit (rebalance, abort) may still fail: not an unhandled rejection.
    chunk.catch(() => undefined);
    const b = this.parts.get(partition);
    if (!b) return; // the partition went away meanwhile (rebalance)
    b.chunks.push(chunk);
    b.count += count;
    b.first ??= first;
    b.last = last;
    b.highWatermark = highWatermark;
    b.taken = BigInt(last);
    if (b.count >= this.maxRecords) this.close(partition);
  }
  /** After a fetched batch of the partition was taken: close it now unless an interval applies and has not passed. */
  fetched(partition: number): void {
    const b = this.parts.get(partition);
    if (b && (this.intervalMs === undefined || Date.now() - b.since >= this.intervalMs)) this.close(partition);
  }

  /** Close every partition's records (the extract is ending: idle). */
  closeAll(): void {
    for (const p of this.parts.keys()) this.close(p);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.parts.clear();
  }

  private closeDue(): void {
    const now = Date.now();
    for (const [p, b] of this.parts) if (b.count && now - b.since >= this.intervalMs!) this.close(p);
  }

  private close(partition: number): void {
    const b = this.parts.get(partition);
    if (!b?.count) return;
    b.since = Date.now();
    const batch: MicroBatch = { partition, chunks: b.chunks, count: b.count, first: b.first!, last: b.last!, highWatermark: b.highWatermark };
    Object.assign(b, { chunks: [], count: 0, first: null, last: null });
    this.emit(batch);
  }
}
