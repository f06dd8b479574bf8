/** The example DAGs in dags/ run end to end on real PostgreSQL and Redis. */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

describe('example DAGs end to end', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await Harness.create();
    for (const f of ['example_bash_chain.ts', 'example_taskflow.ts', 'example_branches.yaml', 'daily_revenue_pipeline.json']) h.copyExampleDag(f);
    await h.processDags();
    await h.startScheduler();
    await h.startWorker();
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

  it('loads every example DAG, the seed pipeline included, without import errors', async () => {
    expect(await rows(h.db, 'select filename, error from import_error')).to.deep.equal([]);
    const dags = await rows<{ dag_id: string }>(h.db, 'select dag_id from dag order by dag_id');
    expect(dags.map((d) => d.dag_id)).to.include('daily_revenue_pipeline');
  });
});
