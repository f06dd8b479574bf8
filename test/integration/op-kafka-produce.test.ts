/**
 * kafka_produce and the notification operator's `kafka` channel, end to end on the real
 * broker (scripts/kafka.sh) with real PostgreSQL and Redis: records are read back with a
 * plain kafkajs consumer.
 */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';
import { consumeAll, createTopic, deleteTopic, requireBroker, testBrokers, uniqueTopic } from '../support/kafka.ts';

describe('kafka_produce operator and the kafka notification channel', function () {
  this.timeout(90_000);
  let h: Harness;
  const listT = uniqueTopic('produce-list');
  const stringT = uniqueTopic('produce-string');
  const fnT = uniqueTopic('produce-fn');
  const alertsT = uniqueTopic('alerts');
  const topics = [listT, stringT, fnT, alertsT];

  const errorOfTask = async (runId: string, taskId: string) => (await rows<{ error: string | null }>(h.db, `
    select t.error from task_instance_try t join task_instance ti on ti.id = t.ti_id
    where ti.run_id = ? and ti.task_id = ?`, [runId, taskId]))[0]?.error;
  const xcom = async (runId: string, taskId: string) => (await rows<{ value: unknown }>(h.db, `
    select x.value from xcom x join dag_run r on r.id = x.dag_run_id
    where r.run_id = ? and x.task_id = ? and x.key = 'return_value'`, [runId, taskId]))[0]?.value;

  before(async () => {
    await requireBroker();
    await createTopic(listT, 3);
    for (const t of [stringT, fnT, alertsT]) await createTopic(t);
    h = await Harness.create();
    const brokers = testBrokers().join(',');
    await h.db('connection').insert([
      { conn_id: 'kafka_test', conn_type: 'kafka', host: brokers },
      { conn_id: 'alerts', conn_type: 'kafka', host: brokers, extra: JSON.stringify({ topic: alertsT }) },
      { conn_id: 'no_topic', conn_type: 'kafka', host: brokers },
    ]);
    h.writeDag('produce.json', JSON.stringify({
      dag_id: 'produce', params: { items: [{ id: 1 }, { id: 2 }] }, tasks: [
        { id: 'list', type: 'kafka_produce', topic: listT, kafka_conn_id: 'kafka_test', key: 'k-{{ ds }}',
          headers: { source: '{{ dag.dag_id }}' }, messages: [{ n: 1, day: '{{ ds }}' }, 'plain {{ run_id }}', 3] },
        { id: 'from_string', type: 'kafka_produce', topic: stringT, kafka_conn_id: 'kafka_test', messages: '{{ params.items | tojson }}' },
        { id: 'notify', type: 'notification', channel: 'alerts', message: 'loaded {{ ds }}', depends_on: ['list'] },
      ],
    }));
    h.writeDag('produce_fn.ts', `
import { DAG, KafkaProduceOperator } from 'updraft';
const dag = new DAG({ dag_id: 'produce_fn', schedule: null });
new KafkaProduceOperator({ task_id: 'fn', dag, topic: '${fnT}', kafka_conn_id: 'kafka_test',
  messages: (ctx) => [1, 2, 3].map((i) => ({ i, run: ctx.run_id })) });
`);
    h.writeDag('produce_fail.json', JSON.stringify({
      dag_id: 'produce_fail', default_args: { retries: 0 }, params: { x: 'nope' }, tasks: [
        { id: 'not_a_list', type: 'kafka_produce', topic: stringT, kafka_conn_id: 'kafka_test', messages: '{{ params.x }}' },
        { id: 'no_topic', type: 'notification', channel: 'no_topic', message: 'hi' },
      ],
    }));
    await h.processDags();
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await h?.stop();
    for (const t of topics) await deleteTopic(t).catch(() => undefined);
  });

  it('produces a templated list with key and headers, a JSON-list string, and notifies on the kafka channel', async () => {
    const run = await h.trigger({ dag_id: 'produce', logical_date: new Date('2026-11-20T00:00:00Z') });
    expect(await h.waitForRun('produce', run.run_id, 60_000)).to.equal('success');

    const got = await consumeAll(listT, 'check-list');
    expect(got.map((r) => r.value)).to.deep.equal(['{"n":1,"day":"2026-11-20"}', `plain ${run.run_id}`, '3']);
    // One key: one partition of the three, in order.
    expect(new Set(got.map((r) => r.partition)).size).to.equal(1);
    expect(got.map((r) => r.offset)).to.deep.equal([0, 1, 2]);
    expect(got.every((r) => r.key === 'k-2026-11-20' && r.headers.source === 'produce')).to.equal(true);
    expect(await xcom(run.run_id, 'list')).to.deep.equal({ topic: listT, records: 3, partitions: [got[0]!.partition] });

    expect((await consumeAll(stringT, 'check-string')).map((r) => r.value)).to.deep.equal(['{"id":1}', '{"id":2}']);

    const [alert, ...more] = await consumeAll(alertsT, 'check-alerts');
    expect(more).to.have.length(0);
    expect(alert?.key).to.equal('produce');
    expect(JSON.parse(alert!.value!)).to.deep.equal({
      text: 'loaded 2026-11-20', dag_id: 'produce', task_id: 'notify', run_id: run.run_id, logical_date: '2026-11-20T00:00:00.000Z',
    });
  });

  it('produces what a TypeScript function returns', async () => {
    const run = await h.trigger({ dag_id: 'produce_fn' });
    expect(await h.waitForRun('produce_fn', run.run_id, 60_000)).to.equal('success');
    const got = await consumeAll(fnT, 'check-fn');
    expect(got.map((r) => JSON.parse(r.value!) as unknown)).to.deep.equal([1, 2, 3].map((i) => ({ i, run: run.run_id })));
  });

  it('fails clearly: messages that render to no JSON list, a kafka channel without a topic', async () => {
    const run = await h.trigger({ dag_id: 'produce_fail' });
    expect(await h.waitForRun('produce_fail', run.run_id, 60_000)).to.equal('failed');
    expect(await errorOfTask(run.run_id, 'not_a_list')).to.equal('messages rendered to "nope", which is not a JSON list');
    expect(await errorOfTask(run.run_id, 'no_topic')).to.equal(
      'connection "no_topic" (kafka) has no topic: set extra.topic, e.g. --conn-extra \'{"topic": "alerts"}\'');
  });
});
