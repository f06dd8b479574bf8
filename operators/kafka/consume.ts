/**
 * The extract's consumer loop (kafkajs, offsets managed by hand). For every fetched
 * partition batch, in micro-batches of at most `maxRecords`:
 *   decode → poison records to `<topic>.dlq` → sink write + offsets (one PostgreSQL
 *   transaction, or fsync + checkpoint) → commit the group offset to Kafka.
 * Kafka's group offset is only a hint that trails the sink's own offsets: records at or
 * below what the sink holds are dropped before writing, so a re-delivery after a crash
 * (between the sink commit and the Kafka commit) is never written twice.
 * Ends with success after `idleMs` without new records; the abort signal stops it at
 * once (the consumer is disconnected, an unfinished batch is simply not committed).
 */
import kafkajs, { type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from 'kafkajs';
import type { TaskLog } from '../../core/authoring/context.ts';
import { decodeRecord, DecodeError, type RecordFormat } from './decode.ts';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { startPositions, type StartOffset } from './positions.ts';
import type { Offsets, Sink, SinkRecord } from './sink.ts';

const { Kafka, logLevel } = kafkajs;

export interface ExtractOptions {
  brokers: string[]; topic: string; groupId: string; format: RecordFormat; registry?: SchemaRegistry;
  maxRecords: number; idleMs: number; start: StartOffset; sink: Sink; log: TaskLog; signal: AbortSignal;
}

export interface ExtractSummary {
  batches: number; records: number; bytes: number; dlq: number; lag: Record<string, number>; duration_s: number;
}

function headersOf(m: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v !== undefined) out[k] = (Array.isArray(v) ? v : [v]).map((x) => x.toString()).join(',');
  }
  return out;
}

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
  const summary: ExtractSummary = { batches: 0, records: 0, bytes: 0, dlq: 0, lag: {}, duration_s: 0 };
  const admin = kafka.admin();
  let consumer: Consumer | null = null;
  let producer: Producer | null = null;
  try {
    await admin.connect();
    const done: Offsets = { ...(await o.sink.open()) };
    const positions = await startPositions(admin, o.topic, o.groupId, Object.keys(done).length ? done : null, o.start);
    for (const [p, pos] of positions) o.log.info(`partition ${p}: starting at offset ${pos.offset} (from ${pos.from})`);

    const dlqTopic = `${o.topic}.dlq`;
    const sendToDlq = async (items: Array<{ m: KafkaMessage; partition: number; error: string }>) => {
      if (!producer) {
        await admin.createTopics({ topics: [{ topic: dlqTopic, numPartitions: 1 }], waitForLeaders: true });
        producer = kafka.producer();
        await producer.connect();
      }
      await producer.send({
        topic: dlqTopic,
        messages: items.map(({ m, partition, error }) => ({
          key: m.key, value: m.value,
          headers: { error: error.slice(0, 1000), source_topic: o.topic, source_partition: String(partition), source_offset: m.offset },
        })),
      });
    };

    consumer = kafka.consumer({ groupId: o.groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 1000 });
    const c = consumer;
    // The loop ends when `finish` is called: idle (no error), abort or a failed batch.
    let finish: (err?: unknown) => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => { finish = (err) => (err ? reject(err) : resolve()); });
    let stopping = false;
    let busy = false;
    let lastActivity = Number.POSITIVE_INFINITY; // the idle clock starts once the partitions are assigned
    let joined = false;

    const onAbort = () => { stopping = true; finish(o.signal.reason instanceof Error ? o.signal.reason : new Error('task aborted')); };
    if (o.signal.aborted) onAbort();
    o.signal.addEventListener('abort', onAbort, { once: true });
    const idleTimer = setInterval(() => {
      if (!busy && !stopping && Date.now() - lastActivity >= o.idleMs) {
        stopping = true;
        o.log.info(`no new records for ${o.idleMs / 1000} s: stopping`);
        finish();
      }
    }, Math.min(200, Math.max(20, o.idleMs / 10)));

    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      // Seek only on the first assignment: later rebalances resume from the group offsets,
      // which this consumer (or another one of the group) committed after its sink commits.
      const assigned = payload.memberAssignment[o.topic] ?? [];
      o.log.info(`joined group ${o.groupId}: partitions ${assigned.join(', ') || 'none'}`);
      if (!joined) for (const p of assigned) { const pos = positions.get(p); if (pos) c.seek({ topic: o.topic, partition: p, offset: pos.offset }); }
      joined = true;
      lastActivity = Date.now();
    });

    const handle = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
      const partition = batch.partition;
      const key = String(partition);
      const floor = done[key] !== undefined ? BigInt(done[key]!) : -1n;
      const fresh = batch.messages.filter((m) => BigInt(m.offset) > floor);
      for (let i = 0; i < fresh.length; i += o.maxRecords) {
        if (stopping || !isRunning() || isStale()) return;
        const t0 = Date.now();
        const chunk = fresh.slice(i, i + o.maxRecords);
        const rows: SinkRecord[] = [];
        const poison: Array<{ m: KafkaMessage; partition: number; error: string }> = [];
        let bytes = 0;
        for (const m of chunk) {
          bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
          let value: unknown;
          try {
            value = await decodeRecord(o.format, m, o.registry);
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
            poison.push({ m, partition, error: err.message });
            continue;
          }
          rows.push({
            value, key: m.key ? m.key.toString('utf8') : null, headers: headersOf(m),
            timestamp: new Date(Number(m.timestamp)).toISOString(), topic: o.topic, partition, offset: m.offset,
          });
        }
        // The DLQ gets its records before the batch commits: a crash may send one twice, never lose it.
        if (poison.length) await sendToDlq(poison);
        const last = chunk[chunk.length - 1]!.offset;
        await o.sink.write(rows, { ...done, [key]: last });
        done[key] = last;
        const next = (BigInt(last) + 1n).toString();
        resolveOffset(last);
        // After the sink commit; a failure here only means a later re-delivery that the offsets filter out.
        await c.commitOffsets([{ topic: o.topic, partition, offset: next }])
          .catch((err: Error) => o.log.warn(`committing the group offset failed (the checkpoint holds it): ${err.message}`));
        const lag = Number(BigInt(batch.highWatermark) - BigInt(next));
        summary.lag[key] = Math.max(0, lag);
        summary.batches += 1; summary.records += chunk.length; summary.bytes += bytes; summary.dlq += poison.length;
        o.log.info(`batch ${summary.batches}: ${chunk.length} records (${poison.length} to ${dlqTopic}), ${bytes} bytes, `
          + `partition ${partition} offsets ${chunk[0]!.offset}..${last}, ${Date.now() - t0} ms, lag ${JSON.stringify(summary.lag)}`);
        await heartbeat();
      }
      if (!fresh.length && batch.messages.length) resolveOffset(batch.lastOffset());
    };

    await c.connect();
    await c.subscribe({ topic: o.topic, fromBeginning: o.start === 'earliest' });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        busy = true;
        try {
          await handle(payload);
        } catch (err) {
          // Not kafkajs' retry: a failed batch fails the task (its retry resumes from the checkpoint).
          stopping = true;
          finish(err);
        } finally {
          busy = false;
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
    summary.duration_s = Math.round((Date.now() - began) / 10) / 100;
    return summary;
  } finally {
    // On abort, do not wait long for an in-flight batch: its transaction is not committed or it is, both are consistent.
    const quit = Promise.allSettled([consumer?.disconnect(), (producer as Producer | null)?.disconnect(), admin.disconnect()]);
    await Promise.race([quit, new Promise((r) => setTimeout(r, o.signal.aborted ? 2000 : 30_000).unref())]);
  }
}
