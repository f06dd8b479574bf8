/**
 * Helpers for tests against the real Kafka broker of scripts/kafka.sh (npm test starts
 * it; loopback brokers from the config's kafkaBrokers). kafkajs only: no mocks.
 * kafkajs logs nothing unless UPDRAFT_TEST_KAFKA_LOG names a level (error, warn, info, debug).
 */
import crypto from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type IHeaders } from 'kafkajs';
import { loadConfig } from '../../core/config.ts';

const LEVELS: Record<string, logLevel> = {
  error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG,
};

/** The brokers the tests use: UPDRAFT_KAFKA_BROKERS, else the private broker. */
export function testBrokers(): string[] {
  return loadConfig().kafkaBrokers;
}

/** A kafkajs client on the test brokers, quiet by default. */
export function kafkaClient(brokers: string[] = testBrokers(), clientId = 'updraft-test'): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: LEVELS[process.env.UPDRAFT_TEST_KAFKA_LOG ?? ''] ?? logLevel.NOTHING,
    // Fail fast in tests: a broker that is down should not mean minutes of retries.
    connectionTimeout: 3000,
    retry: { retries: 5, initialRetryTime: 100 },
  });
}

/** A connected admin client; the caller disconnects it. */
export async function kafkaAdmin(brokers: string[] = testBrokers()): Promise<Admin> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  return admin;
}

/**
 * For a test file's before hook: fails at once, saying how to start the broker, when
 * nothing answers (mocha run by hand without `npm test`), rather than each test
 * timing out on connection errors.
 */
export async function requireBroker(): Promise<void> {
  const brokers = testBrokers();
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, connectionTimeout: 2000, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (err) {
    throw new Error(`no Kafka broker answers on ${brokers.join(',')} (${(err as Error).message}); ` +
      'start it with `bash scripts/kafka.sh start` (npm test does this itself)');
  } finally {
    await admin.disconnect();
  }
}

// Short-lived admin for the one-shot helpers below.
async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = await kafkaAdmin();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** A topic name no other test (or earlier run on the same broker) has used. */
export function uniqueTopic(prefix = 'test'): string {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
}

/**
 * Creates a topic (replication factor 1: one node) and waits until every partition has
 * a leader, so producing right after never sees "unknown topic". The broker does not
 * auto-create topics.
 */
export async function createTopic(name: string, partitions = 1): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.createTopics({
      topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const meta = await admin.fetchTopicMetadata({ topics: [name] });
      const parts = meta.topics[0]?.partitions ?? [];
      if (parts.length === partitions && parts.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) throw new Error(`topic ${name}: partitions have no leader after 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}

/** Deletes a topic; no error when it does not exist. */
export async function deleteTopic(name: string): Promise<void> {
  await withAdmin(async (admin) => {
    const topics = await admin.listTopics();
    if (topics.includes(name)) await admin.deleteTopics({ topics: [name], timeout: 10_000 });
  });
}

export interface ProduceOptions<T> {
  /** Record key: one for all, or computed per record (null: no key). */
  key?: string | ((record: T, index: number) => string | null);
  headers?: IHeaders | ((record: T, index: number) => IHeaders);
  /** A fixed partition, or one per record; unset: kafkajs's default partitioner. */
  partition?: number | ((record: T, index: number) => number);
}

// Each send stays well below the broker's 1 MB default request/message limit, and a
// few thousand records per request keeps 50,000 records to a few seconds.
const MAX_BATCH_RECORDS = 5000;
const MAX_BATCH_BYTES = 512 * 1024;

/**
 * Produces each record as JSON (acks from all in-sync replicas), in batches sent one
 * after another so offsets follow the array's order within each partition. Returns the
 * number of records written.
 */
export async function produceJson<T>(topic: string, records: readonly T[], opts: ProduceOptions<T> = {}): Promise<number> {
  const producer = kafkaClient().producer({
    createPartitioner: Partitioners.DefaultPartitioner, // the v2 default, stated to silence its warning
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    type Msg = { key?: string | null; value: string; headers?: IHeaders; partition?: number };
    let batch: Msg[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await producer.send({ topic, acks: -1, messages: batch });
      batch = [];
      bytes = 0;
    };
    for (let i = 0; i < records.length; i++) {
      const rec = records[i] as T;
      const value = JSON.stringify(rec);
      const msg: Msg = { value };
      if (opts.key !== undefined) msg.key = typeof opts.key === 'function' ? opts.key(rec, i) : opts.key;
      if (opts.headers !== undefined) msg.headers = typeof opts.headers === 'function' ? opts.headers(rec, i) : opts.headers;
      if (opts.partition !== undefined) {
        msg.partition = typeof opts.partition === 'function' ? opts.partition(rec, i) : opts.partition;
      }
      if (batch.length >= MAX_BATCH_RECORDS || bytes + value.length > MAX_BATCH_BYTES) await flush();
      batch.push(msg);
      bytes += value.length + (msg.key?.length ?? 0);
    }
    await flush();
    return records.length;
  } finally {
    await producer.disconnect();
  }
}

// kafkajs's admin does not retry a group coordinator that is still loading or has just
// moved (after a broker restart): NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...
async function coordinatorRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const type = (err as { type?: string }).type ?? '';
      if (attempt >= 30 || !type.includes('COORDINATOR')) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export interface ConsumedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | undefined>;
  timestamp: number;
}

/**
 * Reads, as member of `groupId`, every record the topic holds when called: from the
 * group's committed offsets (the beginning for a new group) up to each partition's end
 * offset at call time. Offsets are committed. Rejects after timeoutMs, saying how far
 * it got, rather than waiting forever for records that never come.
 */
export async function consumeAll(topic: string, groupId: string, timeoutMs = 30_000): Promise<ConsumedRecord[]> {
  const ends = new Map<number, number>();
  const starts = new Map<number, number>();
  await withAdmin(async (admin) => {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(p.partition, Number(p.high));
    const committed = await coordinatorRetry(() => admin.fetchOffsets({ groupId, topics: [topic] }));
    for (const p of committed[0]?.partitions ?? []) {
      const low = Number(p.offset);
      if (low >= 0) starts.set(p.partition, low);
    }
  });
  // Partitions with nothing left to read count as done from the start.
  const remaining = new Set([...ends].filter(([p, end]) => end > (starts.get(p) ?? 0)).map(([p]) => p));
  const out: ConsumedRecord[] = [];
  if (remaining.size === 0) return out;

  const consumer = kafkaClient().consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`consumeAll(${topic}): ${out.length} records after ${timeoutMs} ms; ` +
          `partitions not finished: ${[...remaining].join(', ')}`));
      }, timeoutMs);
      consumer.on(consumer.events.CRASH, (e) => { clearTimeout(timer); reject(e.payload.error); });
      consumer.run({
        // Resolved by hand: records past the end offset stay uncommitted for the next reader.
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          const end = ends.get(batch.partition) ?? 0;
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset >= end) break; // written after the call: not ours to return
            const headers: Record<string, string | undefined> = {};
            for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = v?.toString();
            out.push({
              partition: batch.partition, offset, key: m.key?.toString() ?? null,
              value: m.value?.toString() ?? null, headers, timestamp: Number(m.timestamp),
            });
            resolveOffset(m.offset);
          }
          if (Number(batch.lastOffset()) + 1 >= end) remaining.delete(batch.partition);
          if (remaining.size === 0) { clearTimeout(timer); resolve(); }
        },
      }).catch((err: unknown) => { clearTimeout(timer); reject(err as Error); });
    });
  } finally {
    await consumer.disconnect(); // commits the resolved offsets on the way out
  }
  return out;
}

/**
 * Sets a consumer group's committed offsets, as if its members had committed them. The
 * group must have no member. kafkajs' admin.setOffsets does the same but returns only
 * after a fetch of its paused consumer, which the broker holds for 5 s; this joins the
 * group, commits and leaves.
 */
export async function setGroupOffsets(groupId: string, topic: string, offsets: ReadonlyArray<{ partition: number; offset: string }>): Promise<void> {
  const consumer = kafkaClient().consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topic });
    // Nothing resolved and no auto-commit: whatever a fetch returns meanwhile commits nothing.
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    consumer.pause([{ topic }]);
    await joined;
    await consumer.commitOffsets(offsets.map((o) => ({ topic, ...o })));
  } finally {
    await consumer.disconnect();
  }
}
