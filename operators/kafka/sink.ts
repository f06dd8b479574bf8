/**
 * Where an extract lands its micro-batches. A sink writes a batch and records the
 * offsets it covers atomically (one PostgreSQL transaction, or fsync then checkpoint for
 * a file that is truncated back on retry), so after a crash the batch is either fully
 * there with its offsets, or absent with the old offsets: the next try resumes exactly
 * after what the sink holds.
 */

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

/** Partition → the last offset the sink holds (int64 as a string, as Kafka gives them). */
export type Offsets = Record<string, string>;

/** What is stored as the task's checkpoint (and, for a file sink, the file's size then). */
export interface ExtractCheckpoint { topic: string; consumer_group: string; offsets: Offsets; file_size?: number }

export interface Sink {
  readonly description: string;
  /** Prepare (a retry truncates a file back); the offsets the sink already holds, or null. */
  open(): Promise<Offsets | null>;
  /** Write the records and, with them, `offsets` (all partitions' positions after this batch). */
  write(records: SinkRecord[], offsets: Offsets): Promise<void>;
}

/** A checkpoint of this extract, ignoring one written for another topic or group. */
export function ownCheckpoint(cp: ExtractCheckpoint | null, topic: string, group: string): ExtractCheckpoint | null {
  return cp && cp.topic === topic && cp.consumer_group === group && cp.offsets ? cp : null;
}
