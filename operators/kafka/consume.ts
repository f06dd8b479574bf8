/**
 * The extract's consumer loop (kafkajs, offsets managed by hand). Per fetched partition
 * batch: skip what was already taken, cut it into slices that fill the partition's pending
 * micro-batch (micro-batches.ts: closed at `maxRecords`, at the end of the fetch, or when
 * `intervalMs` has passed), and return, so kafkajs fetches again at once. Each slice is
 * decoded just after (records.ts) and closed micro-batches go to the committer
 * (committer.ts), which commits them in order while fetching and decoding go on:
 *   poison records to `<topic>.dlq` → sink write + offsets (one PostgreSQL transaction, or
 *   fdatasync + checkpoint) → the group offset to Kafka.
 * Kafka's group offset is only a hint that trails the sink's own offsets: records at or
 * below what the sink holds are dropped before writing, so a re-delivery after a crash
 * (between the sink commit and the Kafka commit) is never written twice.
 * Ends with success after `idleMs` without new records (pending records are committed
 * first); the abort signal stops it at once (the consumer is disconnected, pending and
 * queued records are dropped, never committed: a retry reads them again).
 */
import kafkajs, { type Consumer, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { TaskLog } from '../../core/authoring/context.ts';
import { Committer } from './committer.ts';
import type { RecordFormat } from './decode.ts';
import { DeadLetters } from './dlq.ts';
import { MicroBatcher } from './micro-batches.ts';
import { kafkaOffsets, resumePositions, startOffsetPositions, type StartOffset } from './positions.ts';
import { ProgressPusher, type ExtractProgress, type ExtractSummary } from './progress.ts';
import { decodeChunk, type DecodeSettings } from './records.ts';
import { raiseOffsets, type Offsets, type Sink } from './sink.ts';

export type { ExtractProgress, ExtractSummary } from './progress.ts';

const { Kafka, logLevel } = kafkajs;

export interface ExtractOptions {
  brokers: string[]; topic: string; groupId: string; format: RecordFormat; registry?: SchemaRegistry;
  maxRecords: number; idleMs: number; start: StartOffset; sink: Sink; log: TaskLog; signal: AbortSignal;
  /** checkpoint_interval: a partition's records commit when this long has passed since its previous commit (or at maxRecords). */
  intervalMs?: number;
  /** Called after each batch (and at the end) with the summary so far and the partitions held; errors are only logged. */
  onProgress?: (progress: ExtractProgress) => Promise<void>;
}

/**
 * The consumer's fetch settings (bench/kafka.ts gives its bare consumer the same ones, so
 * the comparison stays fair). Sizes are kafkajs' defaults: 512 KB to 4 MB per partition
 * measured alike. The broker holds a fetch that finds no record for `maxWaitTimeInMs`,
 * and disconnecting waits for that fetch: kafkajs' 5 s made every task end (idle, or
 * aborted) up to 5 s late. A record still returns a fetch at once (minBytes 1).
 */
export const CONSUMER_FETCH = { maxBytesPerPartition: 1_048_576, maxBytes: 10_485_760, minBytes: 1, maxWaitTimeInMs: 500 } as const;

// kafkajs re-joins the group itself on these (from heartbeat() in a batch): not a task failure.
const REJOIN_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

export async function runExtract(o: ExtractOptions): Promise<ExtractSummary> {
  const began = Date.now();
  const kafka = new Kafka({
    clientId: 'updraft-extract', brokers: o.brokers, logLevel: logLevel.WARN,
    // The library's own warnings and errors go to the task log.
    logCreator: () => ({ level, log }) => {
      const line = `kafkajs: ${log.message}`;
      if (level === logLevel.ERROR) o.log.error(line); else if (level === logLevel.WARN) o.log.warn(line);
    },
  });
  const admin = kafka.admin();
  const dlq = new DeadLetters(kafka, admin, o.topic);
  const owned = new Set<number>();
  const progress = new ProgressPusher(began, () => [...owned], o.log, o.onProgress);
  const summary = progress.summary;
  let consumer: Consumer | null = null;
  let committer: Committer | null = null;
  let batcher: MicroBatcher | null = null;
  try {
    await admin.connect();
    const done: Offsets = { ...(await o.sink.open()) };
    // Where partitions start when nothing is known of them (start_offset), and the group's
    // offsets in Kafka and in the sink, for the first assignment. The admin requests go one
    // after the other: sent at once, they often met a retry of kafkajs (300 ms).
    const [[initial, kafka0], inSink0] = await Promise.all([
      (async () => [await startOffsetPositions(admin, o.topic, o.start), await kafkaOffsets(admin, o.topic, o.groupId)] as const)(),
      o.sink.groupOffsets(null),
    ]);
    const known = { kafka: kafka0, inSink: inSink0 };

    consumer = kafka.consumer({ groupId: o.groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 1000, ...CONSUMER_FETCH });
    const c = consumer;
    // The loop ends when `finish` is called: idle (no error), abort or a failure; the first call wins.
    let finish: (err?: unknown) => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => { finish = (err) => (err ? reject(err) : resolve()); });
    let stopping = false;
    let busy = 0;
    let lastActivity = Number.POSITIVE_INFINITY; // the idle clock starts once the partitions are assigned
    const fail = (err: unknown) => {
      stopping = true;
      committer?.stop();
      batcher?.stop();
      finish(err);
    };

    const cm = new Committer({ topic: o.topic, sink: o.sink, dlq, consumer: c, log: o.log, progress, done, owned, onError: fail });
    committer = cm;
    const mb = new MicroBatcher(o.maxRecords, o.intervalMs, (batch) => cm.enqueue(batch));
    batcher = mb;
    // Decoded records waiting for a commit, besides the groups being staged and written:
    // beyond this the handler waits (memory bound). Two micro-batches' worth: with one, the
    // handler waited for commits about a quarter of the time in bench/kafka.ts.
    const queueLimit = 2 * Math.max(o.maxRecords, 10_000);

    const onAbort = () => fail(o.signal.reason instanceof Error ? o.signal.reason : new Error('task aborted'));
    if (o.signal.aborted) onAbort();
    o.signal.addEventListener('abort', onAbort, { once: true });
    const idleTimer = setInterval(() => {
      if (busy || stopping || Date.now() - lastActivity < o.idleMs) return;
      stopping = true;
      o.log.info(`no new records for ${o.idleMs / 1000} s: stopping`);
      // Pending records (a checkpoint interval not yet passed) are committed before the end.
      mb.closeAll();
      cm.drain().then(() => cm.kafkaCommitted()).then(() => finish(), fail);
    }, Math.min(200, Math.max(20, o.idleMs / 10)));

    // Several task instances may share the group, so a partition can move to another
    // member at a rebalance and come back later. At EVERY assignment: pending records are
    // dropped (they were never committed; reading resumes from what is), micro-batches
    // queued for partitions that moved are dropped, the ones in flight finish; then each
    // partition resumes after the furthest of our checkpoint, the group's offsets in the
    // sink's database and Kafka's group offset (positions.ts), read again now. Partitions
    // that went elsewhere leave `done`, so our next checkpoint no longer claims them.
    const assign = async (assigned: number[], early: Map<number, string>) => {
      await cm.drain();
      for (const k of Object.keys(done)) if (!owned.has(Number(k))) { delete done[k]; delete summary.lag[k]; }
      const mine = assigned.filter((p) => owned.has(p)); // a later assignment may have replaced this one
      const [inSink, kafka] = await Promise.all([o.sink.groupOffsets(mine), kafkaOffsets(admin, o.topic, o.groupId)]);
      raiseOffsets(known.inSink, inSink);
      known.kafka = kafka;
      for (const { partition, offset, from } of resumePositions(mine, done, inSink, kafka, initial)) {
        o.log.info(`partition ${partition}: resuming at offset ${offset} (from ${from})`);
        if (early.get(partition) !== offset) c.seek({ topic: o.topic, partition, offset });
        mb.reset(partition, BigInt(offset) - 1n);
      }
    };
    let assigning: Promise<void> = Promise.resolve();
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      const assigned = payload.memberAssignment[o.topic] ?? [];
      o.log.info(`joined group ${o.groupId}: partitions ${assigned.join(', ') || 'none'}`);
      owned.clear();
      for (const p of assigned) owned.add(p);
      mb.dropAll();
      cm.keepOnly(owned);
      // Seek now (kafkajs fetches as soon as this returns) to the furthest position known,
      // so the first fetch already reads from there rather than from kafkajs' own default,
      // a fetch that would be thrown away; `assign` checks it against offsets read again
      // and seeks again if they moved. Batches wait for `assign` before taking records.
      const early = new Map<number, string>();
      for (const { partition, offset } of resumePositions(assigned, { ...done }, known.inSink, known.kafka, initial)) {
        c.seek({ topic: o.topic, partition, offset });
        early.set(partition, offset);
      }
      // The progress write waits too: on a worker whose pool has one idle connection,
      // writing both at once opened a second one (tens of ms before the first fetch).
      assigning = assigning.then(() => assign(assigned, early)).then(() => progress.update(), fail);
      lastActivity = Date.now();
    });

    const settings: DecodeSettings = { topic: o.topic, format: o.format, registry: o.registry, jsonLines: o.sink.jsonLines };
    // Decoding is not done in the batch handler but just after it (setImmediate keeps the
    // order): kafkajs sends its next fetch as soon as the handler returns, so the records
    // are decoded while the broker answers, not before it is asked. The committer waits for
    // the chunks, in order, before writing them.
    const decodeSoon = (partition: number, slice: KafkaMessage[]) =>
      new Promise<void>((resolve) => setImmediate(resolve)).then(() => decodeChunk(settings, partition, slice));
    const handle = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
      await assigning;
      const partition = batch.partition;
      // A batch of a partition that is no longer ours, or from before a pending seek: skip it.
      const stale = () => stopping || !isRunning() || isStale() || !owned.has(partition);
      const floor = mb.taken(partition);
      if (stale() || floor === undefined) return;
      // Offsets ascend within a batch: when the first is past the floor, all are (no BigInt per record).
      const all = batch.messages;
      const fresh = all.length && BigInt(all[0]!.offset) > floor ? all : all.filter((m) => BigInt(m.offset) > floor);
      for (let i = 0; i < fresh.length;) {
        await cm.room(queueLimit);
        if (stale()) return;
        const n = Math.max(1, mb.room(partition));
        const slice = i === 0 && n >= fresh.length ? fresh : fresh.slice(i, i + n);
        const chunk = decodeSoon(partition, slice);
        const last = slice[slice.length - 1]!.offset;
        mb.add(partition, chunk, slice[0]!.offset, last, slice.length, batch.highWatermark);
        resolveOffset(last);
        i += slice.length;
      }
      if (!fresh.length && all.length) resolveOffset(batch.lastOffset());
      mb.fetched(partition);
      await heartbeat();
    };

    await c.connect();
    await c.subscribe({ topic: o.topic, fromBeginning: o.start === 'earliest' });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // partitionsConsumedConcurrently stays 1: the handler only slices and hands over (decoding
      // follows it, commits run beside it), so handling partitions at once gained nothing.
      eachBatch: async (payload) => {
        busy += 1;
        try {
          await handle(payload);
        } catch (err) {
          // A rebalance seen by heartbeat(): kafkajs re-joins, the partitions resume at the next assignment.
          if (REJOIN_ERRORS.has((err as { type?: string }).type ?? '') && !stopping) throw err;
          // Not kafkajs' retry: a failed batch fails the task (its retry resumes from the checkpoint).
          fail(err);
        } finally {
          busy -= 1;
          lastActivity = Date.now();
        }
      },
    });
    try {
      await finished;
    } finally {
      clearInterval(idleTimer);
      o.signal.removeEventListener('abort', onAbort);
    }
    summary.duration_s = progress.seconds();
    owned.clear(); // the final progress: this consumer holds no partitions any more
    await progress.finish();
    return summary;
  } finally {
    batcher?.stop();
    committer?.stop();
    // On abort, do not wait long for a commit or a disconnect in flight: its transaction commits or not, both are consistent.
    const quit = (committer?.drain() ?? Promise.resolve())
      .then(() => Promise.allSettled([consumer?.disconnect(), dlq.close(), admin.disconnect()]));
    await Promise.race([quit, new Promise((r) => setTimeout(r, o.signal.aborted ? 2000 : 30_000).unref())]);
  }
}
