/**
 * KafkaExtractOperator (`type: kafka_extract`): reads a topic in micro-batches into a
 * PostgreSQL table or a JSONL file, exactly once across crashes and retries.
 *
 * - `topic`, `consumer_group` (required); `format` json (default) | avro | protobuf with
 *   `schema_registry`; `start_offset` earliest | latest (default) | ISO timestamp, used
 *   only for partitions with neither a checkpoint nor an offset of the group (in Kafka or
 *   in the sink's database).
 * - `max_records` per micro-batch (default 10000); `idle_timeout` (default 300 s): the
 *   task ends successfully after this long without new records.
 * - `checkpoint_interval` (seconds, "60s", "5m", ...; optional): a partition's micro-batch
 *   is committed (sink write + checkpoint, then the Kafka commit) when it reaches
 *   `max_records` records or when this long has passed since that partition's previous
 *   commit, whichever comes first. Without it, whatever one fetch returns (up to
 *   max_records) commits at once. With it, the records of a slow topic accumulate in
 *   memory, per partition, across fetches: fewer, larger commits. They are committed at
 *   the idle end; on abort they are dropped, never committed (the retry reads them again);
 *   at a rebalance the pending records are dropped too: those of partitions that moved
 *   are read by their new owner from the committed offsets, the others resume from what is
 *   committed.
 * - `kafka_conn_id`: a connection whose host lists the brokers (see brokers.ts).
 * - `sink`: {type: postgres, table, conn_id?, mode: append} or {type: jsonl, path};
 *   `transform: {sql}` (postgres sink only): see sql-transform.ts.
 * - `engine_note`: a line for the task log (a streaming pipeline's `engine: flink`).
 * The XCom is a summary: {batches, records, bytes, dlq, lag: {partition: n}, duration_s}.
 * After each batch the same summary, with the partitions held, is pushed as XCom `kafka_progress`.
 * Each batch's sink write and offsets commit together (see pg-sink.ts, jsonl-sink.ts),
 * Kafka's group offsets after them (committer.ts); the commit of one batch overlaps the
 * fetching and decoding of the next. The sinks also keep the group's offsets in their
 * database (group-offsets.ts), so an instance that died between its sink commit and its
 * Kafka commit leaves no batch for another instance of the group to write again.
 */
import { schemaRegistryAt } from './schema-registry.ts';
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { toMs, type DurationInput } from '../../core/time/duration.ts';
import { withPgClient } from '../sql/pg-client.ts';
import { parseTableName } from '../sql/identifiers.ts';
import { resolveBrokers } from './brokers.ts';
import { runExtract, type ExtractProgress, type ExtractSummary } from './consume.ts';
import { JsonlSink } from './jsonl-sink.ts';
import { ExternalPgSink, MetadataPgSink } from './pg-sink.ts';
import { parseStartOffset } from './positions.ts';

const METADATA_CONN_ID = 'postgres_default';

const Duration = z.union([z.number().nonnegative(), z.string().min(1), z.record(z.string(), z.number())]);

const SinkSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('postgres'), table: z.string().min(1), conn_id: z.string().min(1).optional(), mode: z.literal('append').optional() }).strict(),
  z.object({ type: z.literal('jsonl'), path: z.string().min(1) }).strict(),
], { error: 'sink.type must be one of the supported sinks: "postgres", "jsonl"' });

const KafkaExtractArgsSchema = z.object({
  topic: z.string().min(1),
  consumer_group: z.string().min(1),
  format: z.enum(['json', 'avro', 'protobuf']).optional(),
  start_offset: z.string().min(1).optional(),
  schema_registry: z.string().min(1).optional(),
  max_records: z.number().int().positive().optional(),
  checkpoint_interval: Duration.optional(),
  idle_timeout: Duration.optional(),
  kafka_conn_id: z.string().min(1).optional(),
  sink: SinkSchema,
  transform: z.object({ sql: z.string().min(1) }).strict().optional(),
  /** Set by streaming pipelines (core/dag/streaming-pipeline.ts), e.g. for engine: flink; logged at the start. */
  engine_note: z.string().optional(),
}).strict()
  .refine((a) => (a.format ?? 'json') === 'json' || a.schema_registry !== undefined,
    { path: ['schema_registry'], message: 'avro and protobuf records need a schema_registry (a URL, or a folder of <id>.avsc / <id>.proto files)' })
  .refine((a) => !a.transform || a.sink.type === 'postgres', { path: ['transform'], message: 'transform needs a postgres sink (the SQL runs there)' })
  .refine((a) => a.sink.type !== 'postgres' || a.sink.table.includes('{{') || isTable(a.sink.table), { path: ['sink', 'table'], message: 'not a table name: use "table" or "schema.table"' })
  .refine((a) => a.start_offset === undefined || a.start_offset.includes('{{') || isStartOffset(a.start_offset), { path: ['start_offset'], message: 'use "earliest", "latest" or an ISO timestamp' });
export type KafkaExtractArgs = z.infer<typeof KafkaExtractArgsSchema>;

function isTable(v: string): boolean { try { parseTableName(v, 'sink.table'); return true; } catch { return false; } }
function isStartOffset(v: string): boolean { try { parseStartOffset(v); return true; } catch { return false; } }

/** Seconds, ISO-8601, {minutes: 5}, or the seed's "60s" / "5m" / "500ms". */
export function durationMs(v: DurationInput, what: string): number {
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(v) : null;
  if (m) return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return toMs(v, what);
}

export class KafkaExtractOperator extends BaseOperator<KafkaExtractArgs> {
  readonly operatorType = 'kafka_extract';
  // `transform` is not rendered: its `{{ input }}` names the batch, not a template variable.
  override readonly templateFields = ['topic', 'consumer_group', 'start_offset', 'sink'];

  constructor(args: TaskArgs & KafkaExtractArgs) {
    super(args, KafkaExtractArgsSchema as unknown as z.ZodType<KafkaExtractArgs>);
  }

  async execute(args: KafkaExtractArgs, ctx: TaskContext): Promise<ExtractSummary> {
    if (args.engine_note) ctx.log.info(args.engine_note);
    const brokers = await resolveBrokers(ctx, args.kafka_conn_id);
    const base = {
      brokers, topic: args.topic, groupId: args.consumer_group, format: args.format ?? 'json',
      registry: args.schema_registry ? schemaRegistryAt(args.schema_registry) : undefined,
      maxRecords: args.max_records ?? 10_000, idleMs: durationMs(args.idle_timeout ?? 300, 'idle_timeout'),
      intervalMs: args.checkpoint_interval !== undefined ? durationMs(args.checkpoint_interval, 'checkpoint_interval') : undefined,
      start: parseStartOffset(args.start_offset), log: ctx.log, signal: ctx.signal,
      // Progress while running (records so far, lag per partition, partitions held): GET .../xcomEntries/kafka_progress.
      onProgress: (progress: ExtractProgress) => ctx.ti.xcom_push('kafka_progress', progress),
    } as const;
    const sinkArgs = args.sink;
    const run = async (sink: Parameters<typeof runExtract>[0]['sink']) => {
      ctx.log.info(`extracting ${args.topic} (group ${args.consumer_group}, ${base.format}) from ${brokers.join(',')} into ${sink.description}`);
      const summary = await runExtract({ ...base, sink });
      ctx.log.info(`done: ${JSON.stringify(summary)}`);
      return summary;
    };
    if (sinkArgs.type === 'jsonl') {
      const sink = new JsonlSink(sinkArgs.path, ctx, args.topic, args.consumer_group);
      try { return await run(sink); } finally { await sink.close(); }
    }
    const common = { table: parseTableName(sinkArgs.table, 'sink.table'), transformSql: args.transform?.sql, topic: args.topic, group: args.consumer_group, ctx };
    const connId = sinkArgs.conn_id ?? METADATA_CONN_ID;
    // postgres_default is the metadata database (unless a connection of that id is defined
    // elsewhere): there the offsets are the task's checkpoint, committed with the rows.
    if (connId === METADATA_CONN_ID) return run(new MetadataPgSink(common));
    const conn = await ctx.getConnection(connId);
    return withPgClient(conn, ctx.signal, (client) => run(new ExternalPgSink(client, connId, common)));
  }
}
