/**
 * Where each partition starts: after the checkpoint (what the sink already holds) when
 * there is one, else the group's committed offset, else `start_offset` (earliest,
 * latest, or the first record at or after a timestamp). Worked out with the admin client
 * before the consumer joins, then applied by seeking when it is assigned the partitions.
 */
import type { Admin } from 'kafkajs';
import type { Offsets } from './sink.ts';

export type StartOffset = 'earliest' | 'latest' | Date;

export interface Position { offset: string; from: 'checkpoint' | 'group' | 'earliest' | 'latest' | 'timestamp' }

export function parseStartOffset(value: string | undefined): StartOffset {
  if (value === undefined || value === 'latest') return 'latest';
  if (value === 'earliest') return 'earliest';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`start_offset: ${JSON.stringify(value)} is not "earliest", "latest" nor an ISO timestamp`);
  return d;
}

export async function startPositions(admin: Admin, topic: string, groupId: string, checkpoint: Offsets | null, start: StartOffset): Promise<Map<number, Position>> {
  const watermarks = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const byTime = start instanceof Date ? await admin.fetchTopicOffsetsByTimestamp(topic, start.getTime()) : [];
  const out = new Map<number, Position>();
  for (const w of watermarks) {
    const p = w.partition;
    const done = checkpoint?.[String(p)];
    const group = committed?.partitions.find((x) => x.partition === p)?.offset;
    if (done !== undefined) out.set(p, { offset: (BigInt(done) + 1n).toString(), from: 'checkpoint' });
    else if (group !== undefined && BigInt(group) >= 0n) out.set(p, { offset: group, from: 'group' });
    else if (start === 'earliest') out.set(p, { offset: w.low, from: 'earliest' });
    else if (start === 'latest') out.set(p, { offset: w.high, from: 'latest' });
    else {
      // No record at or after the timestamp: start at the end (only newer records).
      const t = byTime.find((x) => x.partition === p)?.offset;
      out.set(p, { offset: t !== undefined && BigInt(t) >= 0n ? t : w.high, from: 'timestamp' });
    }
  }
  return out;
}

/**
 * At each assignment of a consumer group that several task instances share: where each
 * assigned partition resumes. `done` (this instance's checkpoint: the last offset per
 * partition it wrote) is raised, in place, to the group's committed offset - 1 when that
 * is further: group offsets are committed after the sink commit, so everything below is
 * in the sink, written by another member that held the partition since. Our older value
 * would rewind it (duplicates) and would be too low to filter re-deliveries. Partitions
 * with neither start from `initial` (startPositions: start_offset).
 */
export async function resumePositions(admin: Admin, topic: string, groupId: string, assigned: number[], done: Offsets,
  initial: Map<number, Position>): Promise<Array<{ partition: number } & Position>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const out: Array<{ partition: number } & Position> = [];
  for (const p of assigned) {
    const key = String(p);
    const mine = done[key];
    const group = committed?.partitions.find((x) => x.partition === p)?.offset;
    if (group !== undefined && BigInt(group) > 0n && (mine === undefined || BigInt(group) - 1n > BigInt(mine))) {
      done[key] = (BigInt(group) - 1n).toString();
    }
    const last = done[key];
    if (last !== undefined) out.push({ partition: p, offset: (BigInt(last) + 1n).toString(), from: last === mine ? 'checkpoint' : 'group' });
    else if (initial.has(p)) out.push({ partition: p, ...initial.get(p)! });
  }
  return out;
}
