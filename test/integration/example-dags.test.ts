/** The example DAGs in dags/ run end to end on real PostgreSQL, Redis and (durable steps) Temporal. */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

describe('example DAGs end to end', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await Harness.create();
    for (const f of ['example_bash_chain.ts', 'example_taskflow.ts', 'example_branches.yaml', 'daily_revenue_pipeline.json',
      'example_task_groups.ts', 'example_assets_producer.ts', 'example_assets_consumer.ts', 'example_sensors.ts',
      'example_mapping.ts', 'example_branching.ts', 'example_durable_payment.ts']) h.copyExampleDag(f);
    await h.processDags();
    await h.startScheduler();
    await h.startWorker({ temporal: true });
  });
  after(async () => { await h.stop(); });

  it('runs the bash chain with templates, XCom between tasks and logs stored centrally', async () => {
    const run = await h.trigger({ dag_id: 'example_bash_chain', logical_date: new Date('2026-11-10T00:00:00Z') });
    expect(await h.waitForRun('example_bash_chain', run.run_id)).to.equal('success');
    expect(await h.taskStates('example_bash_chain', run.run_id)).to.deep.equal({
      start: 'success', extract: 'success', transform: 'success', report: 'success',
    });
    const logs = await rows<{ task_id: string; message: string }>(h.db, `
      select ti.task_id, l.message from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.run_id = ? order by l.id`, [run.run_id]);
    const text = logs.map((l) => `${l.task_id}: ${l.message}`);
    expect(text).to.include('extract: extracting data for 2026-11-10 (run manual__2026-11-10T00:00:00+00:00)');
    expect(text).to.include('transform: hello: got 42 rows');
  });

  it('runs TypeScript function tasks, passing return values through XCom and conf overriding params', async () => {
    const run = await h.trigger({ dag_id: 'example_taskflow', conf: { multiplier: 5 } });
    expect(await h.waitForRun('example_taskflow', run.run_id)).to.equal('success');
    const [x] = await rows<{ value: unknown }>(h.db,
      `select value from xcom where dag_run_id = ? and task_id = 'total' and key = 'return_value'`, [run.id]);
    expect(x?.value).to.equal(50);
  });

  it('runs the YAML DAG: exit code 99 skips, the none_failed_min_one_success join still runs', async () => {
    const run = await h.trigger({ dag_id: 'example_branches' });
    expect(await h.waitForRun('example_branches', run.run_id)).to.equal('success');
    expect(await h.taskStates('example_branches', run.run_id)).to.deep.equal({
      begin: 'success', always_runs: 'success', maybe_skip: 'skipped', join: 'success',
    });
  });

  it('runs the mapping DAG: one instance per region from the upstream XCom, the report sums them, a capped bash map', async () => {
    const run = await h.trigger({ dag_id: 'example_mapping', conf: { regions: ['north', 'south', 'east', 'west'] } });
    expect(await h.waitForRun('example_mapping', run.run_id)).to.equal('success');
    const tis = await rows<{ task_id: string; map_index: number; state: string }>(h.db,
      `select task_id, map_index, state from task_instance where run_id = ? order by task_id, map_index`, [run.run_id]);
    expect(tis.filter((t) => t.task_id === 'summarize').map((t) => t.map_index)).to.deep.equal([0, 1, 2, 3]);
    expect(tis.filter((t) => t.task_id === 'notify').map((t) => t.map_index)).to.deep.equal([0, 1, 2]);
    expect(tis.every((t) => t.state === 'success')).to.equal(true);
    const [x] = await rows<{ value: unknown }>(h.db,
      `select value from xcom where dag_run_id = ? and task_id = 'report' and key = 'return_value'`, [run.id]);
    expect(x?.value).to.equal(180);
  });

  it('runs the branching DAG: the weekday path, the short circuit and latest-only pass, the triggered DAG run succeeds', async () => {
    // A Wednesday noon: no scheduled (midnight) run of this @daily DAG can have that logical date.
    const run = await h.trigger({ dag_id: 'example_branching', logical_date: new Date('2026-11-18T12:00:00Z') });
    expect(await h.waitForRun('example_branching', run.run_id, 30_000)).to.equal('success');
    expect(await h.taskStates('example_branching', run.run_id)).to.deep.equal({
      choose: 'success', weekday: 'success', weekend: 'skipped', join: 'success', has_orders: 'success',
      only_latest: 'success', refresh: 'success', kick_taskflow: 'success',
    });
    const logs = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.run_id = ? order by l.id`, [run.run_id]);
    // As in Airflow, callbacks run for tasks that ran: not for `weekend`, skipped by the branch.
    expect(logs.map((l) => l.message)).to.include.members(['callback: weekday finished', 'callback: refresh finished']);
    expect(logs.map((l) => l.message)).not.to.include('callback: weekend finished');
    const [triggered] = await rows<{ state: string }>(h.db, `select state from dag_run where dag_id = 'example_taskflow' and triggered_by = 'example_branching.kick_taskflow'`);
    expect(triggered?.state).to.equal('success');
  });

  it('runs the task group DAG: prefixed ids, groups linked through their first and last tasks', async () => {
    const run = await h.trigger({ dag_id: 'example_task_groups' });
    expect(await h.waitForRun('example_task_groups', run.run_id)).to.equal('success');
    expect(await h.taskStates('example_task_groups', run.run_id)).to.deep.equal({
      'start': 'success', 'extract.orders': 'success', 'extract.customers': 'success', 'transform.join': 'success',
      'transform.checks.not_empty': 'success', 'transform.checks.unique_ids': 'success', 'load': 'success',
    });
    const logs = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.run_id = ? and ti.task_id = 'transform.join'`, [run.run_id]);
    expect(logs.map((l) => l.message)).to.include('joined 12 orders');
  });

  it('runs the asset consumer once the producer has updated both of its assets', async () => {
    const run = await h.trigger({ dag_id: 'example_assets_producer' });
    expect(await h.waitForRun('example_assets_producer', run.run_id)).to.equal('success');
    const consumer = await waitForConsumerRun();
    expect(consumer.run_id).to.match(/^asset_triggered__/);
    expect(await h.waitForRun('example_assets_consumer', consumer.run_id)).to.equal('success');
    const logs = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.run_id = ? and ti.task_id = 'publish'`, [consumer.run_id]);
    expect(logs.map((l) => l.message)).to.include('published asset_triggered run');
  });

  /** The asset-triggered run of example_assets_consumer, once the scheduler created it. */
  async function waitForConsumerRun(): Promise<{ run_id: string }> {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const [run] = await rows<{ run_id: string }>(h.db,
        `select run_id from dag_run where dag_id = 'example_assets_consumer' and run_type = 'asset_triggered' order by id`);
      if (run) return run;
    }
    throw new Error('example_assets_consumer got no asset-triggered run');
  }

  it('runs the sensors DAG: a file written beside its sensor, a time delta, a reschedule-mode sensor', async () => {
    const run = await h.trigger({ dag_id: 'example_sensors' });
    expect(await h.waitForRun('example_sensors', run.run_id)).to.equal('success');
    expect(await h.taskStates('example_sensors', run.run_id)).to.deep.equal({
      produce: 'success', wait_for_file: 'success', settle: 'success', not_before: 'success', report: 'success',
    });
    const [x] = await rows<{ value: unknown }>(h.db,
      `select value from xcom where dag_run_id = ? and task_id = 'report' and key = 'return_value'`, [run.id]);
    expect(x?.value).to.equal('42 rows');
    // The reschedule-mode sensor gave its slot back at least once, all in try 1.
    const [resched] = await rows<{ try_number: number; n: string }>(h.db, `select ti.try_number, count(l.id) as n
      from task_instance ti join task_log l on l.ti_id = ti.id
      where ti.run_id = ? and ti.task_id = 'not_before' and l.message like 'condition not met; rescheduling%' group by ti.try_number`, [run.run_id]);
    expect(resched?.try_number).to.equal(1);
    expect(Number(resched?.n)).to.be.at.least(1);
  });

  it('runs the durable payment DAG: the charge as a Temporal activity, once; the receipt names it', async () => {
    const run = await h.trigger({ dag_id: 'example_durable_payment' });
    expect(await h.waitForRun('example_durable_payment', run.run_id, 30_000)).to.equal('success');
    const [attempt] = await rows<{ outcome: string }>(h.db, `select a.outcome from durable_attempt a
      join task_instance ti on ti.id = a.ti_id where ti.run_id = ? and ti.task_id = 'charge'`, [run.run_id]);
    expect(attempt?.outcome).to.equal('success');
    const [x] = await rows<{ value: string }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'receipt'`, [run.id]);
    expect(x?.value).to.match(/^receipt for payment [0-9a-f-]{36}$/);
  });

  it('loads every example DAG, the seed pipeline included, without import errors', async () => {
    expect(await rows(h.db, 'select filename, error from import_error')).to.deep.equal([]);
    const dags = await rows<{ dag_id: string }>(h.db, 'select dag_id from dag order by dag_id');
    expect(dags.map((d) => d.dag_id)).to.include('daily_revenue_pipeline');
  });
});
