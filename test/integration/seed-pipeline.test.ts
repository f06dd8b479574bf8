/**
 * The seed pipeline dags/daily_revenue_pipeline.json, unchanged, end to end: sql → sql →
 * quality → notification against raw.orders in the test database (postgres_default is
 * the metadata database) and a local HTTP server standing in for Slack.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

const DAG_ID = 'daily_revenue_pipeline';

describe('seed pipeline daily_revenue_pipeline', function () {
  this.timeout(60_000);
  let h: Harness;
  let server: http.Server;
  const messages: unknown[] = [];

  const xcoms = async (runDbId: number) => Object.fromEntries((await rows<{ task_id: string; value: unknown }>(h.db,
    `select task_id, value from xcom where dag_run_id = ? and key = 'return_value'`, [runDbId])).map((x) => [x.task_id, x.value]));

  before(async () => {
    server = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => { data += c.toString(); });
      req.on('end', () => { messages.push(JSON.parse(data)); res.writeHead(200); res.end('ok'); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T1/B1/secret`;

    h = await Harness.create();
    await h.db.raw('create schema raw; create table raw.orders (date date, region text, amount numeric)');
    await h.db.raw(`insert into raw.orders values
      ('2026-11-20', 'eu', 100.50), ('2026-11-20', 'eu', 20), ('2026-11-20', 'us', 7.25), ('2026-11-20', 'apac', 0),
      ('2026-11-19', 'eu', 1000), ('2026-11-21', 'us', 5000), ('2026-11-21', 'eu', 10), ('2026-11-21', 'eu', -15)`);
    await h.db('connection').insert({ conn_id: 'slack', conn_type: 'slack', host: url });
    h.copyExampleDag('daily_revenue_pipeline.json');
    await h.processDags();
    // No scheduled run for the latest interval: this test's manual runs alone write the tables.
    await h.db('dag').where({ dag_id: DAG_ID }).update({ next_dagrun_create_after: null });
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await h.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('loads without import errors', async () => {
    expect(await rows(h.db, 'select filename, error from import_error')).to.deep.equal([]);
    const [dag] = await rows<{ dag_id: string }>(h.db, 'select dag_id from dag where dag_id = ?', [DAG_ID]);
    expect(dag?.dag_id).to.equal(DAG_ID);
  });

  it('computes the day\'s revenue per region, records row counts in XCom and notifies Slack', async () => {
    const run = await h.trigger({ dag_id: DAG_ID, logical_date: new Date('2026-11-20T06:00:00Z') });
    expect(await h.waitForRun(DAG_ID, run.run_id)).to.equal('success');
    expect(await h.taskStates(DAG_ID, run.run_id)).to.deep.equal({
      extract_orders: 'success', transform_revenue: 'success', quality_check: 'success', notify: 'success',
    });
    const revenue = await rows<{ region: string; revenue: string }>(h.db,
      'select region, revenue::text as revenue from analytics.revenue_by_region order by region');
    expect(revenue).to.deep.equal([
      { region: 'apac', revenue: '0' }, { region: 'eu', revenue: '120.50' }, { region: 'us', revenue: '7.25' },
    ]);
    const [staged] = await rows<{ n: number }>(h.db, 'select count(*)::int as n from staging.orders_daily');
    expect(staged!.n).to.equal(4);
    expect(await xcoms(run.id)).to.deep.equal({ extract_orders: 4, transform_revenue: 3, quality_check: 3 });
    expect(messages).to.deep.equal([{ text: 'Daily revenue pipeline completed' }]);
  });

  it('fails the run at the quality check when a region\'s revenue is negative, without notifying', async () => {
    messages.length = 0;
    const run = await h.trigger({ dag_id: DAG_ID, logical_date: new Date('2026-11-21T06:00:00Z') });
    expect(await h.waitForRun(DAG_ID, run.run_id)).to.equal('failed');
    expect(await h.taskStates(DAG_ID, run.run_id)).to.deep.equal({
      extract_orders: 'success', transform_revenue: 'success', quality_check: 'failed', notify: 'upstream_failed',
    });
    const log = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.run_id = ? and ti.task_id = 'quality_check' order by l.id`, [run.run_id]);
    expect(log.map((l) => l.message)).to.include('check "revenue >= 0" failed: 1 row violates it');
    expect(log.map((l) => l.message)).to.include('check "row_count > 0" passed (row_count is 2)');
    const [tried] = await rows<{ error: string }>(h.db, `select t.error from task_instance_try t join task_instance ti on ti.id = t.ti_id
      where ti.run_id = ? and ti.task_id = 'quality_check'`, [run.run_id]);
    expect(tried?.error).to.equal('1 of 2 quality check(s) failed on analytics.revenue_by_region: check "revenue >= 0" failed: 1 row violates it');
    expect(messages).to.deep.equal([]);
  });
});
