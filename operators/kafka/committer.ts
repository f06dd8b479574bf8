/**
 * Commits closed micro-batches in order, one commit at a time, while the consumer goes on
 * fetching and decoding: the fdatasync, the checkpoint's transaction and the Kafka commit
 * of one batch overlap the decoding of the next (kafkajs fetches again as soon as the
 * batch handler returns, which no longer waits for the commit).
 *
 * A commit takes every micro-batch queued by then (several partitions' at once: one sink
 * transaction and one Kafka commit instead of one each), then:
 *   poison records → `<topic>.dlq`;  sink stage (the jsonl sink appends its lines; this
 *   overlaps the previous commit's write);  sink write + offsets (one transaction);
 *   `done` raised;  Kafka group offsets of the partitions still held (sent beside the
 *   next sink commits, see commitToKafka).
 * Exactly once is unchanged: a checkpoint only ever covers what its own transaction made
 * durable, commits follow offset order, and Kafka's group offset moves only after the
 * sink. The first failure stops everything (the task fails; its retry resumes from the
 * checkpoint); micro-batches still queued are never committed.
 */
import type { Consumer } from 'kafkajs';
import type { TaskLog } from '../../core/authoring/context.ts';
import type { DeadLetters } from './dlq.ts';
import type { MicroBatch } from './micro-batches.ts';
import type { DecodedChunk } from './records.ts';
import type { ProgressPusher } from './progress.ts';
import type { Offsets, Sink, SinkBatch } from './sink.ts';

export interface CommitterDeps {
  topic: string; sink: Sink; dlq: DeadLetters; consumer: Consumer; log: TaskLog; progress: ProgressPusher;
  /** This instance's checkpoint (partition → last offset in the sink), raised after each commit. */
  done: Offsets;
  /** The partitions held now: Kafka commits are skipped for the others (another member owns them). */
  owned: ReadonlySet<number>;
  /** Called once, with the first failure. */
  onError: (err: unknown) => void;
}

export class Committer {
  private queue: MicroBatch[] = [];
  private queuedRecords = 0;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private waiters: Array<() => void> = [];
  private kafka: Promise<void> | null = null;
  private readonly kafkaNext = new Map<number, string>();

  constructor(private readonly d: CommitterDeps) {}

  /** Queue a closed micro-batch; ignored once stopped. */
  enqueue(batch: MicroBatch): void {
    if (this.stopped) return;
    this.queue.push(batch);
    this.queuedRecords += batch.count;
    this.loop ??= this.run();
  }

  /** Resolves when fewer than `limit` records wait for a commit (backpressure), or once stopped. */
  async room(limit: number): Promise<void> {
    while (!this.stopped && this.queuedRecords >= limit) await this.changed();
  }

  /** Resolves when every queued micro-batch is committed (or the committer stopped). */
  async drain(): Promise<void> {
    while (this.loop) await this.changed();
  }

  /** Forget queued micro-batches of partitions not in `keep` (they moved to another member at a rebalance). */
  keepOnly(keep: ReadonlySet<number>): void {
    this.queue = this.queue.filter((b) => keep.has(b.partition));
    this.queuedRecords = this.queue.reduce((n, b) => n + b.count, 0);
  }

  /** No more commits: what is queued is dropped (the commit in flight, if any, completes or fails on its own). */
  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.queuedRecords = 0;
    this.notify();
  }

  /** Resolves when the Kafka commits asked for so far were sent (or failed); bounded by kafkajs' retries. */
  async kafkaCommitted(): Promise<void> {
    while (this.kafka) await this.kafka;
  }

  /**
   * Kafka's group offsets, after the sink commit, without holding the next sink commit up:
   * during a rebalance kafkajs retries a commit until the group is joined again, and the
   * re-join itself waits for the batch handler, which must not wait for this. One commit
   * in flight; offsets asked for meanwhile are merged (only the newest per partition
   * matters) and sent next, for the partitions still held then. A failure only means a
   * later re-delivery, which the sink's offsets filter out.
   */
  private commitToKafka(advanced?: Offsets): void {
    if (advanced) for (const [p, last] of Object.entries(advanced)) this.kafkaNext.set(Number(p), (BigInt(last) + 1n).toString());
    if (this.kafka || !this.kafkaNext.size) return;
    const next = [...this.kafkaNext].filter(([p]) => this.d.owned.has(p));
    this.kafkaNext.clear();
    const sent = next.length
      ? this.d.consumer.commitOffsets(next.map(([partition, offset]) => ({ topic: this.d.topic, partition, offset })))
        .catch((err: Error) => this.d.log.warn(`committing the group offset failed (the sink's offsets hold it): ${err.message}`))
      : Promise.resolve();
    this.kafka = sent.finally(() => { this.kafka = null; this.commitToKafka(); });
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Two stages, so that one batch's file I/O overlaps the previous one's commit: while
   * group N is written (sink.write: fdatasync, transaction), group N+1 is taken from the
   * queue, its decoding awaited, its poison records sent and its lines staged
   * (sink.stage). Writes stay one at a time and in order.
   */
  private async run(): Promise<void> {
    let writing: Promise<void> | null = null;
    try {
      for (;;) {
        if (!this.queue.length || this.stopped) {
          if (!writing) break;
          await writing; // more may be queued meanwhile
          writing = null;
          continue;
        }
        const group = this.queue;
        this.queue = [];
        this.queuedRecords = 0;
        this.notify();
        const staged = await this.stage(group);
        if (writing) await writing;
        if (this.stopped) break;
        writing = this.write(staged);
        writing.catch(() => undefined); // awaited above; a failure meanwhile must not count as unhandled
      }
    } catch (err) {
      this.stop();
      this.d.onError(err);
    } finally {
      this.loop = null;
      this.notify();
    }
  }

  private async stage(group: MicroBatch[]): Promise<Staged> {
    const { d } = this;
    const t0 = Date.now();
    // Decoding may still wait for a schema registry: wait for it, in order.
    const decoded = await Promise.all(group.map((b) => Promise.all(b.chunks)));
    const chunks = decoded.flat();
    // The DLQ gets its records before the batch commits: a crash may send one twice, never lose it.
    await d.dlq.send(chunks.flatMap((c) => c.poison));
    const batch: SinkBatch = {
      records: chunks.length === 1 ? chunks[0]!.rows : chunks.flatMap((c) => c.rows),
      lines: chunks.flatMap((c) => (c.lines ? [c.lines] : [])),
    };
    if (d.sink.stage) await d.sink.stage(batch);
    return { group, decoded, batch, t0 };
  }

  private async write({ group, decoded, batch, t0 }: Staged): Promise<void> {
    const { d } = this;
    const advanced: Offsets = {};
    for (const b of group) advanced[String(b.partition)] = b.last; // a partition's batches are queued in offset order
    const dropped = await d.sink.write(batch, { ...d.done, ...advanced }, advanced);
    Object.assign(d.done, advanced);
    this.commitToKafka(advanced);
    const commitMs = Date.now() - t0;
    if (dropped) d.log.warn(`${dropped} records were already in the sink, written by another instance of the consumer group: left out`);
    const s = d.progress.summary;
    group.forEach((b, i) => {
      const parts = decoded[i]!;
      const bytes = parts.reduce((n, c) => n + c.bytes, 0);
      const dlq = parts.reduce((n, c) => n + c.poison.length, 0);
      const decodeMs = parts.reduce((n, c) => n + c.ms, 0);
      const lag = BigInt(b.highWatermark) - BigInt(b.last) - 1n;
      s.lag[String(b.partition)] = lag > 0n ? Number(lag) : 0;
      s.batches += 1; s.records += b.count; s.bytes += bytes; s.dlq += dlq;
      d.log.info(`batch ${s.batches}: ${b.count} records (${dlq} to ${d.dlq.topic}), ${bytes} bytes, `
        + `partition ${b.partition} offsets ${b.first}..${b.last}, decoded in ${decodeMs} ms, committed in ${commitMs} ms`
        + `${group.length > 1 ? ` with ${group.length - 1} other batch${group.length > 2 ? 'es' : ''}` : ''}, lag ${JSON.stringify(s.lag)}`);
    });
    d.progress.update();
  }
}

/** A group of micro-batches decoded and staged, ready for its sink write. */
interface Staged { group: MicroBatch[]; decoded: DecodedChunk[][]; batch: SinkBatch; t0: number }
