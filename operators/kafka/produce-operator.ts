/**
 * KafkaProduceOperator (`type: kafka_produce`): writes `messages` to `topic`.
 *   messages       a list (templated: every string in it is rendered), a string that renders
 *                  to a JSON list (`'{{ ti.xcom_pull(task_ids="x") | tojson }}'`), or, in
 *                  TypeScript, a function `(ctx) => list` (workers import the DAG file for it).
 *                  A string item is sent as it is; any other item as JSON.
 *   key, headers   templated; the same key and headers on every message (a key keeps the
 *                  messages on one partition, in order).
 *   kafka_conn_id  brokers from that connection's host; without it `kafka_default`, else
 *                  UPDRAFT_KAFKA_BROKERS, else the project's broker (see brokers.ts).
 * The producer is idempotent with acks from all in-sync replicas, so a broker retry inside
 * one send cannot duplicate a message; a task retry sends the whole list again (Kafka has
 * no transaction spanning a task's tries). XCom: {topic, records, partitions}.
 */
import { Kafka, logLevel, type Message, type RecordMetadata } from 'kafkajs';
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { resolveBrokers } from './brokers.ts';

const ProduceArgsSchema = z.object({
  topic: z.string({ error: 'topic is required (a Kafka topic name)' }).min(1, 'topic must not be empty'),
  messages: z.union([z.array(z.unknown()), z.string()]).optional(),
  key: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  kafka_conn_id: z.string().min(1).optional(),
}).strict();
export type KafkaProduceArgs = z.infer<typeof ProduceArgsSchema>;

export type MessagesFunction = (ctx: TaskContext) => unknown[] | Promise<unknown[]>;

/** Messages per produce request: keeps a request well under the broker's 1 MiB default for small records. */
const CHUNK = 1000;

export interface ProduceResult { topic: string; records: number; partitions: number[] }

export class KafkaProduceOperator extends BaseOperator<KafkaProduceArgs> {
  readonly operatorType = 'kafka_produce';
  override readonly templateFields = ['topic', 'messages', 'key', 'headers'];
  override readonly needsDagFile: boolean;
  readonly messagesFn: MessagesFunction | null;

  constructor(args: TaskArgs & Omit<KafkaProduceArgs, 'messages'> & { messages?: unknown[] | string | MessagesFunction }) {
    const { messages, ...rest } = args;
    const fn = typeof messages === 'function' ? messages : null;
    const own: TaskArgs = fn ? rest : { ...rest, messages } as TaskArgs;
    super(own, ProduceArgsSchema);
    if (!fn && messages === undefined) throw new Error(`task "${args.task_id}": messages is required (a list, a JSON list string or a function)`);
    this.messagesFn = fn;
    // A function cannot be serialized: workers import the DAG file to get it.
    this.needsDagFile = fn !== null;
  }

  async execute(args: KafkaProduceArgs, ctx: TaskContext): Promise<ProduceResult> {
    const list = this.messagesFn ? await this.messagesFn(ctx) : messageList(args.messages);
    if (!Array.isArray(list)) throw new Error('messages must be a list (the function returned something else)');
    const brokers = await resolveBrokers(ctx, args.kafka_conn_id);
    const headers = args.headers;
    const records = list.map((item): Message => ({ key: args.key ?? null, value: encodeValue(item), ...(headers && { headers }) }));
    const result = await produceRecords(brokers, args.topic, records, ctx.signal);
    ctx.log.info(`produced ${result.records} message(s) to ${args.topic} (partitions ${result.partitions.join(', ') || 'none'}) via ${brokers.join(',')}`);
    return result;
  }
}

function messageList(messages: KafkaProduceArgs['messages']): unknown[] {
  if (Array.isArray(messages)) return messages;
  let parsed: unknown;
  try {
    parsed = JSON.parse(messages ?? '');
  } catch {
    throw new Error(`messages rendered to ${JSON.stringify((messages ?? '').slice(0, 80))}, which is not a JSON list`);
  }
  if (!Array.isArray(parsed)) throw new Error('messages rendered to JSON that is not a list');
  return parsed;
}

export function encodeValue(item: unknown): string {
  return typeof item === 'string' ? item : JSON.stringify(item) ?? 'null';
}

/**
 * Send records with a short-lived idempotent producer; also used by the notification
 * operator's `kafka` channel. Resolves once every record is acknowledged.
 */
export async function produceRecords(brokers: string[], topic: string, records: Message[], signal?: AbortSignal): Promise<ProduceResult> {
  const kafka = new Kafka({ clientId: 'updraft-produce', brokers, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  const partitions = new Set<number>();
  try {
    await producer.connect();
    for (let i = 0; i < records.length; i += CHUNK) {
      signal?.throwIfAborted();
      const meta: RecordMetadata[] = await producer.send({ topic, acks: -1, messages: records.slice(i, i + CHUNK) });
      for (const m of meta) partitions.add(m.partition);
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('task aborted');
    throw new Error(`producing to Kafka topic ${topic} via ${brokers.join(',')} failed: ${(err as Error).message}`);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return { topic, records: records.length, partitions: [...partitions].sort((a, b) => a - b) };
}
