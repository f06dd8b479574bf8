/**
 * Where each assigned partition resumes: after the furthest of
 * - this instance's checkpoint (`done`: the last offset per partition it wrote);
 * - the group's offsets durable in the sink's database (group-offsets.ts), which include
 *   a batch whose writer died between its sink commit and its Kafka commit;
 * - the group's committed Kafka offset (committed after a sink commit, so everything
 *   below it is in a sink);
 * else at `start_offset` (earliest, latest, or the first record at or after a timestamp).
 * The admin client reads Kafka's side; the caller seeks when it is assigned partitions.
 */
import type { Admin } from 'kafkajs';
import type { Offsets } from './sink.ts';

export type StartOffset = 'earliest' | 'latest' | Date;

export interface Position { offset: string; from: 'checkpoint' | 'group' | 'sink' | 'earliest' | 'latest' | 'timestamp' }

/** Partition → Kafka's committed offset of the group (the next offset to read); absent when none. */
export type KafkaOffsets = Map<number, string>;

export function parseStartOffset(value: string | undefined): StartOffset {
  if (value === undefined || value === 'latest') return 'latest';
  if (value === 'earliest') return 'earliest';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`start_offset: ${JSON.stringify(value)} is not "earliest", "latest" nor an ISO timestamp`);
  return d;
}

/** Where each partition of the topic starts when nothing is known of it: `start_offset`. */
export async function startOffsetPositions(admin: Admin, topic: string, start: StartOffset): Promise<Map<number, Position>> {
  const watermarks = await admin.fetchTopicOffsets(topic);
  const byTime = start instanceof Date ? await admin.fetchTopicOffsetsByTimestamp(topic, start.getTime()) : [];
  const out = new Map<number, Position>();
  for (const w of watermarks) {
    const p = w.partition;
    if (start === 'earliest') out.set(p, { offset: w.low, from: 'earliest' });
    else if (start === 'latest') out.set(p, { offset: w.high, from: 'latest' });
    else {
      // No record at or after the timestamp: start at the end (only newer records).
      const t = byTime.find((x) => x.partition === p)?.offset;
      out.set(p, { offset: t !== undefined && BigInt(t) >= 0n ? t : w.high, from: 'timestamp' });
    }
  }
  return out;
}

export async function kafkaOffsets(admin: Admin, topic: string, groupId: string): Promise<KafkaOffsets> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const out: KafkaOffsets = new Map();
  for (const { partition, offset } of committed?.partitions ?? []) if (BigInt(offset) > 0n) out.set(partition, offset);
  return out;
}

/**
 * Where each of `assigned` resumes (see the header), `done` raised in place to the
 * furthest known: our older value would rewind the partition (duplicates) and be too low
 * to filter re-deliveries. Partitions with none of them start from `initial`.
 */
export function resumePositions(assigned: readonly number[], done: Offsets, inSink: Offsets, kafka: KafkaOffsets,
  initial: Map<number, Position>): Array<{ partition: number } & Position> {
  const out: Array<{ partition: number } & Position> = [];
  for (const p of assigned) {
    const key = String(p);
    let from: Position['from'] = 'checkpoint';
    const raise = (last: string, source: Position['from']) => {
      const cur = done[key];
      if (cur === undefined || BigInt(last) > BigInt(cur)) { done[key] = last; from = source; }
    };
    const group = kafka.get(p);
    if (group !== undefined) raise((BigInt(group) - 1n).toString(), 'group');
    if (inSink[key] !== undefined) raise(inSink[key], 'sink');
    const last = done[key];
    if (last !== undefined) out.push({ partition: p, offset: (BigInt(last) + 1n).toString(), from });
    else if (initial.has(p)) out.push({ partition: p, ...initial.get(p)! });
  }
  return out;
}
