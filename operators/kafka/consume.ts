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
import { resumePositions, startPositions, type StartOffset } from './positions.ts';
import type { Offsets, Sink, SinkRecord } from './sink.ts';

const { Kafka, logLevel } = kafkajs;

export interface ExtractOptions {
  brokers: string[]; topic: string; groupId: string; format: RecordFormat; registry?: SchemaRegistry;
  maxRecords: number; idleMs: number; start: StartOffset; sink: Sink; log: TaskLog; signal: AbortSignal;
  /** Called after each batch (and at the end) with the summary so far and the partitions held; errors are only logged. */
  onProgress?: (progress: ExtractProgress) => Promise<void>;
}

export interface ExtractSummary {
  batches: number; records: number; bytes: number; dlq: number; lag: Record<string, number>; duration_s: number;
}

/** The summary so far plus the partitions this consumer holds now (they move at rebalances). */
export interface ExtractProgress extends ExtractSummary { partitions: number[]; running: boolean }

// kafkajs re-joins the group itself on these (from heartbeat() in a batch): not a task failure.
const REJOIN_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

/**
 * A json record's value exactly as it arrived (UTF-8 text), set on the SinkRecord under
 * this symbol when the text is valid JSON on one line. The jsonl sink then writes it as
 * is instead of JSON.stringify-ing the parsed value again: on the hot path that second
 * serialisation cost about as much as the parse. A symbol key, so JSON.stringify (the
 * postgres sink) never sees it.
 */
export const RAW_JSON: unique symbol = Symbol('updraft.kafka.rawJson');
export type RawSinkRecord = SinkRecord & { [RAW_JSON]?: string };

// One shared object for the common case of a record without headers (no allocation).
export const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function headersOf(m: KafkaMessage): Record<string, string> {
  const h = m.headers;
  if (!h) return NO_HEADERS;
  let out: Record<string, string> | null = null;
  for (const [k, v] of Object.entries(h)) {
    out ??= {};
    if (v !== undefined) out[k] = (Array.isArray(v) ? v : [v]).map((x) => x.toString()).join(',');
  }
  return out ?? NO_HEADERS;
}

/** decode.ts' decodeJson on text already decoded (the caller keeps the text). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DecodeError('json', (err as Error).message);
  }
}

/** Kafka timestamp (ms as a string) → ISO-8601; records of a batch mostly share one, so the last is cached. */
function isoTimestamper(): (ms: string) => string {
  let lastMs = '';
  let lastIso = '';
  return (ms) => {
    if (ms !== lastMs) { lastMs = ms; lastIso = new Date(Number(ms)).toISOString(); }
    return lastIso;
  };
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

    // Several task instances may share the group, so a partition can move to another
    // member at a rebalance and come back later. At EVERY assignment each partition resumes
    // after what the sink is known to hold: our checkpoint, or the group's committed offset
    // when that is further (another member moved it on since: our checkpoint for it is
    // stale and must neither rewind it nor serve as the duplicate filter). Partitions that
    // went elsewhere leave `done`, so our next checkpoint no longer claims them.
    const owned = new Set<number>();
    const assign = async (assigned: number[]) => {
      for (const k of Object.keys(done)) if (!owned.has(Number(k))) { delete done[k]; delete summary.lag[k]; }
      for (const { partition, offset, from } of await resumePositions(admin, o.topic, o.groupId, assigned, done, positions)) {
        o.log.info(`partition ${partition}: resuming at offset ${offset} (from ${from})`);
        c.seek({ topic: o.topic, partition, offset });
      }
    };
    let assigning: Promise<void> = Promise.resolve();
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      const assigned = payload.memberAssignment[o.topic] ?? [];
      o.log.info(`joined group ${o.groupId}: partitions ${assigned.join(', ') || 'none'}`);
      owned.clear();
      for (const p of assigned) owned.add(p);
      // Batches wait for this (fetching the group offsets is async) before using `done`.
      assigning = assigning.then(() => assign(assigned)).catch((err: unknown) => { stopping = true; finish(err); });
      lastActivity = Date.now();
      progress();
    });

    // The progress XCom is written after each batch without holding the loop up: while one
    // write is in flight, later calls only mark that the newest summary must follow it.
    let pushing = null as Promise<void> | null; // (a cast: assigned in closures, TS would narrow it to null)
    let pushAgain = false;
    const snapshot = (running: boolean): ExtractProgress => ({
      ...summary, lag: { ...summary.lag }, duration_s: Math.round((Date.now() - began) / 10) / 100,
      partitions: [...owned].sort((a, b) => a - b), running,
    });
    function progress(): void {
      if (!o.onProgress) return;
      if (pushing) { pushAgain = true; return; }
      pushing = o.onProgress(snapshot(true))
        .catch((err: Error) => o.log.warn(`writing the progress XCom failed: ${err.message}`))
        .finally(() => { pushing = null; if (pushAgain) { pushAgain = false; progress(); } });
    }

    const handle = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
      await assigning;
      const partition = batch.partition;
      // A batch of a partition that is no longer ours, or from before a pending seek: skip it.
      if (!owned.has(partition) || isStale()) return;
      const key = String(partition);
      const floor = done[key] !== undefined ? BigInt(done[key]!) : -1n;
      // Offsets ascend within a batch: when the first is past the floor, all are (no BigInt per record).
      const all = batch.messages;
      const fresh = all.length && BigInt(all[0]!.offset) > floor ? all : all.filter((m) => BigInt(m.offset) > floor);
      const iso = isoTimestamper();
      const json = o.format === 'json';
      for (let i = 0; i < fresh.length; i += o.maxRecords) {
        if (stopping || !isRunning() || isStale()) return;
        const t0 = Date.now();
        const chunk = fresh.slice(i, i + o.maxRecords);
        const rows: RawSinkRecord[] = [];
        const poison: Array<{ m: KafkaMessage; partition: number; error: string }> = [];
        let bytes = 0;
        for (const m of chunk) {
          bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
          let value: unknown;
          let raw: string | undefined;
          try {
            // json: parsed synchronously (no await per record); the text is kept for the jsonl sink.
            if (json && m.value !== null) {
              raw = m.value.toString('utf8');
              value = parseJson(raw);
              // A line break can only be whitespace between tokens (inside strings it is escaped),
              // but it would split a jsonl line: such a record is written re-serialised.
              if (raw.includes('\n') || raw.includes('\r')) raw = undefined;
            } else {
              value = await decodeRecord(o.format, m, o.registry);
            }
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
            poison.push({ m, partition, error: err.message });
            continue;
          }
          const row: RawSinkRecord = {
            value, key: m.key ? m.key.toString('utf8') : null, headers: headersOf(m),
            timestamp: iso(m.timestamp), topic: o.topic, partition, offset: m.offset,
          };
          if (raw !== undefined) row[RAW_JSON] = raw;
          rows.push(row);
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
        progress();
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
          // A rebalance seen by heartbeat(): kafkajs re-joins, the partitions resume at the next assignment.
          if (REJOIN_ERRORS.has((err as { type?: string }).type ?? '') && !stopping) throw err;
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
    // The last progress write then the final one (this consumer holds no partitions any more).
    while (pushing) await pushing;
    owned.clear();
    if (o.onProgress) await o.onProgress(snapshot(false)).catch((err: Error) => o.log.warn(`writing the progress XCom failed: ${err.message}`));
    return summary;
  } finally {
    // On abort, do not wait long for an in-flight batch: its transaction is not committed or it is, both are consistent.
    const quit = Promise.allSettled([consumer?.disconnect(), (producer as Producer | null)?.disconnect(), admin.disconnect()]);
    await Promise.race([quit, new Promise((r) => setTimeout(r, o.signal.aborted ? 2000 : 30_000).unref())]);
  }
}
