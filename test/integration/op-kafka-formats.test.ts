/**
 * kafka_extract with `format: avro` and `format: protobuf` on the real broker, end to end:
 * values in Confluent's wire format (magic byte 0, 4-byte schema id, for Protobuf the
 * message-index list, then the binary), decoded by a DAG run into a postgres and a jsonl
 * sink, poison values to `<topic>.dlq`. No Confluent-compatible registry can be installed
 * on this machine, so the schemas are registered from files (test/fixtures/kafka-schemas,
 * `<id>-<subject>.avsc|.proto`, schema_registry naming the folder). The values are encoded
 * here with avsc and protobufjs straight from the format's definition, not with the
 * library the operator decodes with, so a shared misreading of the format cannot pass.
 */
import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { expect } from 'chai';
import { Partitioners } from 'kafkajs';
import protobuf from 'protobufjs';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { kafkaAdmin, kafkaClient } from '../support/kafka.ts';
import { extractBed } from '../support/kafka-extract-bed.ts';

const SCHEMAS = path.resolve(import.meta.dirname, '../fixtures/kafka-schemas');
const schemaText = (file: string) => fs.readFileSync(path.join(SCHEMAS, file), 'utf8');
const CLICK_V1 = avro.Type.forSchema(JSON.parse(schemaText('1-clicks-value.avsc')) as avro.Schema);
const CLICK_V2 = avro.Type.forSchema(JSON.parse(schemaText('2-clicks-value.avsc')) as avro.Schema);
const ORDERS = protobuf.parse(schemaText('3-orders-value.proto')).root;
const Order = ORDERS.lookupType('shop.v1.Order');
const Refund = ORDERS.lookupType('shop.v1.Refund');
const Line = ORDERS.lookupType('shop.v1.Order.Line');

/** Kafka's varint with zigzag, as Confluent writes the message-index list. */
function zigzagVarint(n: number): number[] {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) { out.push((z & 0x7f) | 0x80); z = Math.floor(z / 128); }
  out.push(z);
  return out;
}

/** Magic byte 0, the schema id (big-endian int32), [the Protobuf message-index list,] the payload. */
function frame(id: number, payload: Uint8Array, indexes?: number[] | 'full-zero'): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  let list: number[] = [];
  if (indexes === 'full-zero') list = [...zigzagVarint(1), ...zigzagVarint(0)]; // [0] written out, not in the short form
  else if (indexes) list = indexes.length === 1 && indexes[0] === 0 ? [0] : [indexes.length, ...indexes].flatMap(zigzagVarint);
  return Buffer.concat([header, Buffer.from(list), Buffer.from(payload)]);
}

interface Produced { key: string; value: Buffer | null; partition: number; offset?: string }

/** Produces the records in order, one request per partition, and notes each record's offset. */
async function produceRaw(topic: string, records: Produced[]): Promise<void> {
  const producer = kafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const partition of new Set(records.map((r) => r.partition))) {
      const mine = records.filter((r) => r.partition === partition);
      const [meta] = await producer.send({ topic, acks: -1, messages: mine.map((r) => ({ key: r.key, value: r.value, partition })) });
      mine.forEach((r, i) => { r.offset = String(BigInt(meta!.baseOffset!) + BigInt(i)); });
    }
  } finally {
    await producer.disconnect();
  }
}

interface RawRecord { key: string | null; value: Buffer | null; headers: Record<string, string> }

/** Every record of a topic, bytes as they are (the DLQ holds binary values). */
async function readRaw(topic: string, timeoutMs = 30_000): Promise<RawRecord[]> {
  const admin = await kafkaAdmin();
  const ends = new Map<number, number>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(p.partition, Number(p.high));
  } finally { await admin.disconnect(); }
  const remaining = new Set([...ends].filter(([, end]) => end > 0).map(([p]) => p));
  const out: RawRecord[] = [];
  if (!remaining.size) return out;
  const consumer = kafkaClient().consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`readRaw(${topic}): ${out.length} records after ${timeoutMs} ms`)), timeoutMs);
      consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = v.toString();
            out.push({ key: m.key?.toString() ?? null, value: m.value, headers });
          }
          if (Number(batch.lastOffset()) + 1 >= (ends.get(batch.partition) ?? 0)) remaining.delete(batch.partition);
          if (!remaining.size) { clearTimeout(timer); resolve(); }
        },
      }).catch((err: unknown) => { clearTimeout(timer); reject(err as Error); });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** A poison record: what it is, and the reason the DLQ's error header must give. */
interface Poison extends Produced { error: RegExp }

describe('kafka_extract: avro and protobuf in the Confluent wire format (real broker, schemas from files)', function () {
  this.timeout(180_000);
  const bed = extractBed('fmt');
  // The bed's hooks run first: these name its harness and folder for the tests below.
  let h: Harness;
  let dir = '';
  before(() => { h = bed.h; dir = bed.dir; });

  /**
   * Produces `good` and `poison` records on a new 2-partition topic, runs a DAG with one
   * extract into postgres and one into jsonl (own consumer groups), and checks: every good
   * record once in each sink with `expected` as its value; each poison record in the DLQ,
   * byte for byte, once per task, with its error, source partition and offset; the summaries.
   */
  async function extractAndCheck(format: 'avro' | 'protobuf', good: Produced[], expected: Map<string, unknown>, poison: Poison[]): Promise<void> {
    const t = await bed.topic(2);
    // Poison records in between the good ones, on both partitions.
    const all: Produced[] = [...good];
    poison.forEach((p, i) => all.splice(Math.floor(((i + 1) * good.length) / (poison.length + 1)) + i, 0, p));
    await produceRaw(t, all);

    const dagId = `kf_${format}`;
    const file = path.join(dir, `${format}.jsonl`);
    const table = `kafka_fmt.${format}_records`;
    const common = { topic: t, format, schema_registry: SCHEMAS, start_offset: 'earliest', max_records: 20, idle_timeout: 2 };
    const tasks = {
      to_pg: { ...common, consumer_group: `${t}-pg`, sink: { type: 'postgres', table } },
      to_jsonl: { ...common, consumer_group: `${t}-jsonl`, sink: { type: 'jsonl', path: file } },
    };
    h.writeDag(`${dagId}.ts`, `import { DAG, KafkaExtractOperator } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2026-01-01' });
${Object.entries(tasks).map(([id, a]) => `new KafkaExtractOperator({ task_id: '${id}', dag, ...${JSON.stringify(a)} });`).join('\n')}
`);
    expect(await h.processDags(), 'import errors').to.equal(0);
    const run = await h.trigger({ dag_id: dagId });
    const state = await h.waitForRun(dagId, run.run_id, 120_000);
    const errors = await rows<{ error: string }>(h.db, `select t.error from task_instance_try t join task_instance i on i.id = t.ti_id
      where i.run_id = ? and t.error is not null`, [run.run_id]);
    expect(state, errors.map((e) => e.error).join('\n')).to.equal('success');

    // The summaries count every record read, and the poison ones apart.
    const xcom = await rows<{ task_id: string; value: { records: number; dlq: number; lag: Record<string, number> } }>(h.db,
      `select task_id, value from xcom where dag_run_id = ? and key = 'return_value' order by task_id`, [run.id]);
    expect(xcom.map((x) => [x.task_id, x.value.records, x.value.dlq, x.value.lag])).to.deep.equal([
      ['to_jsonl', all.length, poison.length, { 0: 0, 1: 0 }],
      ['to_pg', all.length, poison.length, { 0: 0, 1: 0 }],
    ]);

    // Each sink: the good records once, decoded, at the partition and offset they were produced to.
    const where = new Map(good.map((g) => [g.key, `${g.partition}/${g.offset!}`]));
    const pg = await rows<{ key: string; value: unknown; partition: number; offset: string; topic: string }>(h.db,
      `select key, value, partition, "offset", topic from ${table}`);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { key: string; value: unknown; partition: number; offset: string; topic: string });
    for (const [sink, got] of [['postgres', pg], ['jsonl', lines]] as const) {
      expect(got, `${sink}: one row per good record`).to.have.length(good.length);
      expect(new Set(got.map((r) => r.key)).size, `${sink}: no record twice`).to.equal(good.length);
      for (const r of got) {
        expect(r.topic).to.equal(t);
        expect(`${r.partition}/${r.offset}`, `${sink}: where ${r.key} came from`).to.equal(where.get(r.key));
        expect(r.value, `${sink}: the value of ${r.key}`).to.deep.equal(expected.get(r.key));
      }
    }

    // The DLQ: each poison record once per task, as it was, with why and where from.
    const dlq = await readRaw(`${t}.dlq`);
    expect(dlq.map((d) => d.key).sort()).to.deep.equal(poison.flatMap((p) => [p.key, p.key]).sort());
    for (const d of dlq) {
      const p = poison.find((x) => x.key === d.key)!;
      expect(d.value?.equals(p.value!), `the DLQ holds ${p.key}'s bytes`).to.equal(true);
      expect(d.headers).to.include({ source_topic: t, source_partition: String(p.partition), source_offset: p.offset });
      expect(d.headers.error, p.key).to.match(new RegExp(`^cannot decode ${format} record: ${p.error.source}`));
    }
  }

  it('avro: two schema ids (an evolved schema) on one topic both decode into postgres and jsonl; poison records go to the DLQ', async () => {
    const good: Produced[] = [];
    const expected = new Map<string, unknown>();
    for (let i = 0; i < 60; i++) {
      const key = `click-${i}`;
      const v1 = { user_id: `u${i % 7}`, page: `/p/${i}`, n: i };
      // Schema id 1 for the first records, then both ids mixed, as while producers upgrade.
      if (i < 20 || i % 2 === 0) {
        good.push({ key, value: frame(1, CLICK_V1.toBuffer(v1)), partition: i % 2 });
        expected.set(key, v1);
      } else {
        const v2 = { ...v1, n: 2 ** 40 + i, referrer: i % 3 ? `/from/${i}` : null, tags: i % 4 ? ['a', `t${i}`] : [],
          device: i % 5 ? 'MOBILE' : 'DESKTOP', payload: Buffer.from([i, 0, 255]) };
        good.push({ key, value: frame(2, CLICK_V2.toBuffer(v2)), partition: i % 2 });
        // bytes come out as base64; a union's null and an enum as themselves.
        expected.set(key, { ...v2, payload: Buffer.from([i, 0, 255]).toString('base64') });
      }
    }
    good.push({ key: 'deleted', value: null, partition: 1 }); // a tombstone is a record, with a null value
    expected.set('deleted', null);

    const v1 = frame(1, CLICK_V1.toBuffer({ user_id: 'bad', page: '/x', n: 1 }));
    const v2 = frame(2, CLICK_V2.toBuffer({ user_id: 'bad', page: '/a-longer-page', n: 2, referrer: '/r', tags: ['x'], device: 'MOBILE', payload: Buffer.from('abc') }));
    const poison: Poison[] = [
      { key: 'bad-magic', value: Buffer.concat([Buffer.from([1]), v1.subarray(1)]), partition: 0, error: /magic byte is 1, not 0/ },
      { key: 'unknown-id', value: frame(99, CLICK_V1.toBuffer({ user_id: 'u', page: '/', n: 1 })), partition: 1, error: /schema id 99: schema id 99 is not in the schema registry folder/ },
      { key: 'truncated', value: v2.subarray(0, v2.length - 4), partition: 0, error: /schema id 2: truncated buffer/ },
      { key: 'trailing', value: Buffer.concat([v1, Buffer.from([7, 7])]), partition: 1, error: /schema id 1: trailing data/ },
      { key: 'too-short', value: Buffer.from([0, 0, 0]), partition: 0, error: /3 bytes is too short/ },
      { key: 'protobuf-id', value: frame(3, Order.encode({ id: 'o' }).finish(), [0]), partition: 1, error: /schema id 3: it is a PROTOBUF schema, not an Avro one/ },
    ];
    await extractAndCheck('avro', good, expected, poison);
  });

  it('protobuf: messages chosen by the message-index list (top-level, second, nested), into postgres and jsonl; poison records go to the DLQ', async () => {
    const good: Produced[] = [];
    const expected = new Map<string, unknown>();
    const add = (key: string, value: Buffer, json: unknown) => {
      good.push({ key, value, partition: good.length % 2 });
      expected.set(key, json);
    };
    for (let i = 0; i < 40; i++) {
      const lines = Array.from({ length: i % 3 }, (_, j) => ({ sku: `sku-${j}`, qty: j + 1 }));
      const order = { id: `o-${i}`, totalCents: 1000 + i, status: i % 2 ? 2 : 1, lines, note: Buffer.from(`n${i}`), ...(i % 4 === 0 && { coupon: 'SPRING' }) };
      // proto3 JSON: camelCase names, int64 and enums as strings, bytes as base64; defaults written out;
      // an unset `optional` field stays absent (its presence is the information).
      add(`order-${i}`, frame(3, Order.encode(order).finish(), [0]), {
        id: `o-${i}`, totalCents: String(1000 + i), status: i % 2 ? 'PAID' : 'NEW', lines, note: Buffer.from(`n${i}`).toString('base64'),
        ...(i % 4 === 0 && { coupon: 'SPRING' }),
      });
    }
    for (let i = 0; i < 10; i++) {
      add(`refund-${i}`, frame(3, Refund.encode({ orderId: `o-${i}`, amountCents: 5 * i }).finish(), [1]), { orderId: `o-${i}`, amountCents: String(5 * i) });
    }
    add('line', frame(3, Line.encode({ sku: 'sku-x', qty: 9 }).finish(), [0, 0]), { sku: 'sku-x', qty: 9 });
    // All fields at their defaults: an empty payload, still a valid Order.
    add('empty-order', frame(3, Order.encode({}).finish(), [0]), { id: '', totalCents: '0', status: 'STATUS_UNKNOWN', lines: [], note: '' });
    add('full-form-index', frame(3, Order.encode({ id: 'o-f' }).finish(), 'full-zero'), { id: 'o-f', totalCents: '0', status: 'STATUS_UNKNOWN', lines: [], note: '' });

    const order = frame(3, Order.encode({ id: 'o-t', totalCents: 1, note: Buffer.from('a note long enough to cut') }).finish(), [0]);
    const refund = frame(3, Refund.encode({ orderId: 'an order id long enough to cut' }).finish(), [1]);
    const poison: Poison[] = [
      { key: 'bad-magic', value: Buffer.concat([Buffer.from([2]), order.subarray(1)]), partition: 0, error: /magic byte is 2, not 0/ },
      { key: 'unknown-id', value: frame(99, Refund.encode({ orderId: 'x' }).finish(), [1]), partition: 1, error: /schema id 99: schema id 99 is not in the schema registry folder/ },
      { key: 'truncated', value: order.subarray(0, order.length - 5), partition: 0, error: /schema id 3, message shop\.v1\.Order: index out of range/ },
      // Cut inside a string field: protobufjs reading a Buffer would return the string cut short.
      { key: 'truncated-string', value: refund.subarray(0, refund.length - 3), partition: 1, error: /schema id 3, message shop\.v1\.Refund: index out of range/ },
      { key: 'no-such-message', value: frame(3, Refund.encode({ orderId: 'x' }).finish(), [5]), partition: 1, error: /schema id 3: message index 5 does not exist \(the file has 2 messages there\)/ },
      { key: 'cut-index-list', value: frame(3, Buffer.from([0x04, 0x02])), partition: 0, error: /the message-index list runs past the end of the value/ },
      { key: 'avro-id', value: frame(1, CLICK_V1.toBuffer({ user_id: 'u', page: '/', n: 1 })), partition: 1, error: /schema id 1: it is an AVRO schema, not a Protobuf one/ },
    ];
    await extractAndCheck('protobuf', good, expected, poison);
  });
});
