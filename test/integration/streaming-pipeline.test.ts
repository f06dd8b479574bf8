/**
 * The seed's streaming pipeline (examples/realtime_clickstream.yaml) loaded as a DAG and
 * run on the real broker and PostgreSQL: `${KAFKA_CONNECTION}` resolved from the
 * environment, `engine: flink` run as micro-batches (and logged), the sql_transform's
 * JSON_VALUE columns landing in the postgres sink standing in for the seed's iceberg one,
 * each record once, `checkpoint_interval: 60s` holding the records until the run's end.
 * Two changes to the seed text, both for a test: a unique topic and consumer group, and
 * `idle_timeout: 3` so a run ends three seconds after the topic goes quiet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { addConnection } from '../../core/connections/manage-connections.ts';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createTopic, deleteTopic, kafkaAdmin, produceJson, requireBroker, testBrokers, uniqueTopic } from '../support/kafka.ts';
import { createHarness, waitFor } from '../support/res-procs.ts';

const SEED = path.resolve(import.meta.dirname, '../../examples/realtime_clickstream.yaml');

describe('the seed streaming pipeline on the real broker', function () {
  this.timeout(120_000);
  let h: Harness;
  const topic = uniqueTopic('clickstream');
  const previousEnv = process.env.KAFKA_CONNECTION;

  before(async () => {
    await requireBroker();
    await createTopic(topic, 3);
    h = await createHarness();
    const [host, port] = testBrokers()[0]!.split(':');
    await addConnection(h.db, { conn_id: 'clickstream_kafka', description: null, conn_type: 'kafka', host: host!, port: Number(port),
      schema: null, login: null, password: null, extra: null }, h.config.fernetKey);
    const text = fs.readFileSync(SEED, 'utf8')
      .replace('topic: matih.web.clickstream', `topic: ${topic}`)
      .replace('consumer_group: pipeline-clickstream-v1', `consumer_group: ${topic}-g`)
      .replace('start_offset: latest}', 'start_offset: latest, idle_timeout: 3}');
    expect(text).to.include(topic).and.to.include('idle_timeout: 3');
    h.writeDag('realtime_clickstream.yaml', text);
    process.env.KAFKA_CONNECTION = 'clickstream_kafka'; // the dag-processor's parse inherits it
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    if (previousEnv === undefined) delete process.env.KAFKA_CONNECTION; else process.env.KAFKA_CONNECTION = previousEnv;
    await h?.stop();
    await deleteTopic(topic).catch(() => undefined);
    await deleteTopic(`${topic}.dlq`).catch(() => undefined);
  });

  it('runs continuously in micro-batches; JSON_VALUE columns land in the postgres sink, every record once', async () => {
    const [dag] = await rows<{ dag_id: string }>(h.db, `select dag_id from dag where dag_id = 'realtime-clickstream'`);
    expect(dag, 'the seed pipeline is a DAG named after metadata.name').to.not.equal(undefined);
    // start_offset latest: the consumer only sees what arrives after it started, so wait
    // until it holds its partitions, then send a marked batch that must all arrive.
    const event = (seq: number, tag: string) => ({ user_id: `u${seq % 7}`, event_type: tag, page_url: `/p/${seq}`, seq });
    const admin = await kafkaAdmin();
    try {
      await waitFor('the pipeline\'s consumer in its group', async () => {
        const { groups } = await admin.describeGroups([`${topic}-g`]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 1;
      }, 60_000, 100);
    } finally { await admin.disconnect(); }
    let seq = 0;
    const marked = Array.from({ length: 300 }, () => event(seq++, 'click'));
    await produceJson(topic, marked);

    const run = await waitFor('the first run to end at idle_timeout', async () => {
      const [r] = await rows<{ run_id: string; state: string }>(h.db,
        `select run_id, state from dag_run where dag_id = 'realtime-clickstream' order by id limit 1`);
      return r && (r.state === 'success' || r.state === 'failed') ? r : null;
    }, 60_000);
    expect(run.state).to.equal('success');
    // orchestration.checkpoint_interval (60s) holds each partition's records until the idle
    // end: one micro-batch per partition that received any, not one per fetch.
    const [summary] = await rows<{ value: { records: number; batches: number } }>(h.db, `select x.value from xcom x
      join dag_run r on r.id = x.dag_run_id where r.dag_id = 'realtime-clickstream' and r.run_id = ? and x.key = 'return_value'`, [run.run_id]);
    expect(summary!.value.records).to.equal(300);
    expect(summary!.value.batches).to.be.within(1, 3);

    const landed = await rows<{ user_id: string; event_type: string; page_url: string; event_timestamp: Date }>(h.db,
      `select user_id, event_type, page_url, event_timestamp from analytics.web_clickstream_events where event_type = 'click' order by page_url`);
    expect(landed).to.have.length(300);
    expect(new Set(landed.map((l) => l.page_url)).size).to.equal(300);
    expect(landed.find((l) => l.page_url === `/p/${marked[0]!.seq}`)).to.include({ user_id: `u${marked[0]!.seq % 7}`, event_type: 'click' });
    expect(landed.every((l) => l.event_timestamp instanceof Date)).to.equal(true);
    const logs = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance t on t.id = l.ti_id
      where t.dag_id = 'realtime-clickstream' and t.run_id = ?`, [run.run_id]);
    expect(logs.map((l) => l.message).join('\n')).to.match(/flink/i);
  });
});
