/**
 * KafkaExtractOperator on the real broker (scripts/kafka.sh) and real PostgreSQL, run by
 * an in-process scheduler and worker: 50,000 records over 3 partitions land exactly once;
 * poison records go to `<topic>.dlq` with their headers; the jsonl sink; the sql
 * transform with JSON_VALUE; start_offset earliest, latest and a timestamp; idle_timeout
 * ends a run on a quiet topic. (SIGKILLed workers: op-kafka-extract-sigkill.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { addConnection } from '../../core/connections/manage-connections.ts';
import { parseConnectionUri } from '../../core/connections/connection-uri.ts';
import { rows } from '../../core/transitions/sql.ts';
import { createTestDatabase } from '../support/fresh-db.ts';
import type { Harness } from '../support/harness.ts';
import { consumeAll, kafkaAdmin, kafkaClient, produceJson } from '../support/kafka.ts';
import { extractBed } from '../support/kafka-extract-bed.ts';
import { sleep, waitFor } from '../support/res-procs.ts';

describe('KafkaExtractOperator (real broker, real PostgreSQL)', function () {
  this.timeout(180_000);
  const bed = extractBed('extract');
  const { topic, deploy } = bed;
  // The bed's hooks run first: these name its harness and folder for the tests below.
  let h: Harness;
  let dir = '';
  before(() => { h = bed.h; dir = bed.dir; });

  /** Trigger, wait, and return the run's state and each task's XCom summary (and error when failed). */
  async function run(dagId: string, timeoutMs = 120_000): Promise<{ state: string; xcom: Record<string, any>; errors: string[] }> {
    const r = await h.trigger({ dag_id: dagId });
    const state = await h.waitForRun(dagId, r.run_id, timeoutMs);
    const x = await rows<{ task_id: string; value: any }>(h.db, `select task_id, value from xcom where dag_run_id = ? and key = 'return_value'`, [r.id]);
    const errors = await rows<{ error: string }>(h.db, `select t.error from task_instance_try t join task_instance i on i.id = t.ti_id
      where i.run_id = ? and t.error is not null`, [r.run_id]);
    return { state, xcom: Object.fromEntries(x.map((e) => [e.task_id, e.value])), errors: errors.map((e) => e.error) };
  }

  it('50,000 records over 3 partitions in batches of 1000: each lands once; poison records go to the DLQ with headers', async () => {
    const t = await topic(3);
    const N = 50_000;
    await produceJson(t, Array.from({ length: N }, (_, i) => ({ n: i, user: { id: `u${i % 97}` } })), { key: (_r, i) => `k${i}` });
    // Three records that are not JSON, one per partition, among the good ones.
    const producer = kafkaClient().producer();
    await producer.connect();
    await producer.send({ topic: t, messages: [0, 1, 2].map((p) => ({ partition: p, value: `{not json ${p}` })) });
    await producer.disconnect();
    await produceJson(t, [{ n: N }, { n: N + 1 }], { partition: (_r, i) => i });

    await deploy('kx_bulk', { extract: { topic: t, consumer_group: `${t}-g`, start_offset: 'earliest', max_records: 1000, idle_timeout: 2, sink: { type: 'postgres', table: 'kafka_in.bulk' } } });
    const res = await run('kx_bulk');
    expect(res.state, res.errors.join('\n')).to.equal('success');
    const [c] = await rows<{ n: string; d: string; distinct_n: string }>(h.db,
      `select count(*) n, count(distinct (partition, "offset")) d, count(distinct (value->>'n')) distinct_n from kafka_in.bulk`);
    expect(Number(c!.n)).to.equal(N + 2);
    expect(Number(c!.d)).to.equal(N + 2);
    expect(Number(c!.distinct_n)).to.equal(N + 2);
    const [one] = await rows<{ key: string; topic: string; ts: Date }>(h.db, `select key, topic, "timestamp" ts from kafka_in.bulk where value->>'n' = '7'`);
    expect(one!.key).to.equal('k7');
    expect(one!.topic).to.equal(t);
    expect(Math.abs(one!.ts.getTime() - Date.now())).to.be.below(10 * 60_000);

    const s = res.xcom.extract;
    expect(s.records).to.equal(N + 5);
    expect(s.dlq).to.equal(3);
    expect(s.batches).to.be.at.least(Math.ceil((N + 5) / 1000));
    expect(s.bytes).to.be.above(N * 20);
    expect(s.lag).to.deep.equal({ 0: 0, 1: 0, 2: 0 });
    expect(s.duration_s).to.be.a('number');

    const dlq = await consumeAll(`${t}.dlq`, `${t}-dlq-reader`);
    expect(dlq.map((d) => d.value).sort()).to.deep.equal(['{not json 0', '{not json 1', '{not json 2']);
    for (const d of dlq) {
      expect(d.headers.source_topic).to.equal(t);
      expect(d.headers.source_partition).to.equal(d.value!.slice(-1));
      expect(d.headers.error).to.match(/cannot decode json record/);
      const [offset] = await rows<{ n: string }>(h.db, `select count(*) n from kafka_in.bulk where partition = ? and "offset" = ?`, [Number(d.headers.source_partition), Number(d.headers.source_offset)]);
      expect(Number(offset!.n), 'the poison record is not in the sink').to.equal(0);
    }
    // Kafka's group offsets were committed after the sink: the group is at the end.
    const admin = await kafkaAdmin();
    try {
      const [g] = await admin.fetchOffsets({ groupId: `${t}-g`, topics: [t] });
      const ends = await admin.fetchTopicOffsets(t);
      expect(g!.partitions.map((p) => [p.partition, p.offset]).sort()).to.deep.equal(ends.map((e) => [e.partition, e.high]).sort());
    } finally { await admin.disconnect(); }
  });

  it('jsonl sink: every record once; a second run of the same group goes on from the committed offsets', async () => {
    const t = await topic(2);
    await produceJson(t, Array.from({ length: 3000 }, (_, i) => ({ n: i })));
    const file = path.join(dir, 'out', 'events.jsonl');
    await deploy('kx_jsonl', { extract: { topic: t, consumer_group: `${t}-g`, start_offset: 'earliest', max_records: 700, idle_timeout: 1.5, sink: { type: 'jsonl', path: file } } });
    const first = await run('kx_jsonl');
    expect(first.state, first.errors.join('\n')).to.equal('success');
    await produceJson(t, Array.from({ length: 500 }, (_, i) => ({ n: 3000 + i })));
    const second = await run('kx_jsonl');
    expect(second.state, second.errors.join('\n')).to.equal('success');
    expect(second.xcom.extract.records).to.equal(500);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { value: { n: number }; partition: number; offset: string; topic: string });
    expect(lines).to.have.length(3500);
    expect(new Set(lines.map((l) => l.value.n)).size).to.equal(3500);
    expect(new Set(lines.map((l) => `${l.partition}/${l.offset}`)).size).to.equal(3500);
    expect(lines[0]!.topic).to.equal(t);
  });

  it('sql transform: JSON_VALUE paths become columns, with the record\'s topic/partition/offset', async () => {
    const t = await topic(1);
    await produceJson(t, Array.from({ length: 40 }, (_, i) => ({ user_id: `u${i}`, event_type: i % 2 ? 'click' : 'view', page: { url: `/p/${i}` } })));
    await deploy('kx_transform', { extract: {
      topic: t, consumer_group: `${t}-g`, start_offset: 'earliest', idle_timeout: 1.5, sink: { type: 'postgres', table: 'clicks' },
      transform: { sql: "SELECT JSON_VALUE(value, '$.user_id') AS user_id, JSON_VALUE(value, '$.event_type') AS event_type, JSON_VALUE(value, '$.page.url') AS page_url, event_timestamp FROM {{ input }} WHERE JSON_VALUE(value, '$.event_type') = 'click'" },
    } });
    const res = await run('kx_transform');
    expect(res.state, res.errors.join('\n')).to.equal('success');
    const got = await rows<Record<string, unknown>>(h.db, 'select * from clicks order by "offset"');
    expect(got).to.have.length(20);
    expect(Object.keys(got[0]!)).to.deep.equal(['topic', 'partition', 'offset', 'user_id', 'event_type', 'page_url', 'event_timestamp']);
    expect(got[0]).to.include({ topic: t, partition: 0, user_id: 'u1', event_type: 'click', page_url: '/p/1' });
    expect(got.every((g) => g.event_type === 'click')).to.equal(true);
  });

  it('start_offset: earliest reads all, a timestamp reads from there, latest only what comes after the start', async () => {
    const t = await topic(2);
    await produceJson(t, Array.from({ length: 100 }, (_, i) => ({ n: i, part: 'old' })));
    await sleep(50);
    const cut = new Date();
    await sleep(50);
    await produceJson(t, Array.from({ length: 30 }, (_, i) => ({ n: 100 + i, part: 'new' })));
    const common = { topic: t, idle_timeout: 2 };
    await deploy('kx_start', {
      earliest: { ...common, consumer_group: `${t}-e`, start_offset: 'earliest', sink: { type: 'postgres', table: 'so_earliest' } },
      since: { ...common, consumer_group: `${t}-t`, start_offset: cut.toISOString(), sink: { type: 'postgres', table: 'so_since' } },
      latest: { ...common, idle_timeout: 4, consumer_group: `${t}-l`, start_offset: 'latest', sink: { type: 'postgres', table: 'so_latest' } },
    });
    const r = await h.trigger({ dag_id: 'kx_start' });
    // Once the `latest` consumer holds its partitions, produce 7 more: only those are its.
    const admin = await kafkaAdmin();
    try {
      await waitFor('the latest consumer in its group', async () => {
        const { groups } = await admin.describeGroups([`${t}-l`]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 1;
      }, 30_000, 100);
    } finally { await admin.disconnect(); }
    await produceJson(t, Array.from({ length: 7 }, (_, i) => ({ n: 200 + i, part: 'after' })));
    expect(await h.waitForRun('kx_start', r.run_id, 60_000)).to.equal('success');
    const count = async (table: string) => (await rows<{ part: string; n: string }>(h.db,
      `select value->>'part' part, count(*) n from ${table} group by 1 order by 1`)).map((x) => `${x.part}:${x.n}`);
    expect(await count('so_earliest')).to.deep.equal(['after:7', 'new:30', 'old:100']);
    expect(await count('so_since')).to.deep.equal(['after:7', 'new:30']);
    expect(await count('so_latest')).to.deep.equal(['after:7']);
  });

  it('a sink on another database keeps its offsets there, in the batch transaction; brokers from kafka_conn_id', async () => {
    const t = await topic(2);
    const other = await createTestDatabase(2);
    try {
      await addConnection(h.db, { conn_id: 'warehouse', description: null, ...parseConnectionUri(other.url.replace(/^postgresql:/, 'postgres:')) }, h.config.fernetKey);
      await addConnection(h.db, { conn_id: 'my_kafka', description: null, conn_type: 'kafka', host: '127.0.0.1', port: 19092, schema: null, login: null, password: null, extra: null }, h.config.fernetKey);
      await produceJson(t, Array.from({ length: 1200 }, (_, i) => ({ n: i })));
      await deploy('kx_other', { extract: { topic: t, consumer_group: `${t}-g`, start_offset: 'earliest', max_records: 500, idle_timeout: 1.5, kafka_conn_id: 'my_kafka', sink: { type: 'postgres', table: 'landing.events', conn_id: 'warehouse' } } });
      const first = await run('kx_other');
      expect(first.state, first.errors.join('\n')).to.equal('success');
      await produceJson(t, Array.from({ length: 300 }, (_, i) => ({ n: 1200 + i })));
      const second = await run('kx_other');
      expect(second.state, second.errors.join('\n')).to.equal('success');
      expect(second.xcom.extract.records).to.equal(300);
      const [c] = await rows<{ n: string; d: string }>(other.db, `select count(*) n, count(distinct value->>'n') d from landing.events`);
      expect([Number(c!.n), Number(c!.d)]).to.deep.equal([1500, 1500]);
      const offsets = await rows<{ partition: number; offset: string }>(other.db,
        `select partition, "offset" from updraft_kafka_offsets where consumer_group = ? and topic = ? order by partition`, [`${t}-g`, t]);
      const admin = await kafkaAdmin();
      try {
        const ends = await admin.fetchTopicOffsets(t);
        expect(offsets.map((o) => [o.partition, Number(o.offset) + 1])).to.deep.equal(ends.map((e) => [e.partition, Number(e.high)]).sort());
      } finally { await admin.disconnect(); }
      expect(await rows(h.db, 'select 1 from information_schema.tables where table_name = ?', ['events']), 'nothing landed in the metadata database').to.have.length(0);
    } finally { await other.drop(); }
  });

  it('execution_timeout aborts a waiting extract promptly (the consumer is disconnected)', async () => {
    const t = await topic(1);
    await deploy('kx_abort', { extract: { topic: t, consumer_group: `${t}-g`, idle_timeout: 300, execution_timeout: 4, sink: { type: 'jsonl', path: path.join(dir, 'abort.jsonl') } } });
    const started = Date.now();
    const res = await run('kx_abort', 60_000);
    expect(res.state).to.equal('failed');
    expect(res.errors.join('\n')).to.match(/timeout|timed out/i);
    expect(Date.now() - started, 'failed soon after the 4 s timeout').to.be.below(15_000);
    const admin = await kafkaAdmin();
    try {
      await waitFor('the consumer gone from its group', async () => {
        const { groups } = await admin.describeGroups([`${t}-g`]);
        return groups[0]?.members.length === 0;
      }, 15_000, 200);
    } finally { await admin.disconnect(); }
  });

  it('idle_timeout ends the task on a quiet topic, successfully, with an empty summary', async () => {
    const t = await topic(1);
    await deploy('kx_idle', { extract: { topic: t, consumer_group: `${t}-g`, idle_timeout: 1, sink: { type: 'jsonl', path: path.join(dir, 'idle.jsonl') } } });
    const started = Date.now();
    const res = await run('kx_idle', 60_000);
    expect(res.state, res.errors.join('\n')).to.equal('success');
    expect(res.xcom.extract).to.include({ batches: 0, records: 0, dlq: 0 });
    expect(Date.now() - started).to.be.below(30_000);
  });
});
