/**
 * Task groups end to end on real PostgreSQL and Redis: prefixed ids reach the database,
 * group edges order the tasks, group default_args reach the task instances, a failure
 * inside a group stops what follows the group, and the declarative form runs too.
 */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

describe('task groups end to end', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await Harness.create();
    h.writeDag('grouped.ts', `
import { BashOperator, DAG, EmptyOperator, TaskGroup, chain, taskGroup } from 'updraft';
const dag = new DAG({ dag_id: 'grouped', schedule: null, default_args: { retries: 1, retry_delay: 1 } });
const start = new EmptyOperator({ task_id: 'start', dag });
const extract = new TaskGroup({ group_id: 'extract', dag, default_args: { retries: 4 } });
new BashOperator({ task_id: 'a', task_group: extract, bash_command: 'sleep 0.2; echo 7' });
new BashOperator({ task_id: 'b', task_group: extract, bash_command: 'echo b' });
const load = taskGroup({ group_id: 'load', dag }, (tg) => {
  const first = new BashOperator({ task_id: 'first', task_group: tg,
    bash_command: 'echo "got {{ ti.xcom_pull(task_ids=\\'extract.a\\') }}"' });
  const inner = new TaskGroup({ group_id: 'inner', parent_group: tg });
  new BashOperator({ task_id: 'x', task_group: inner, bash_command: 'sleep 0.2; echo x' });
  first.rshift(inner);
});
const end = new EmptyOperator({ task_id: 'end', dag });
chain(start, extract, load, end);

const dag2 = new DAG({ dag_id: 'grouped_fail', schedule: null });
const g = new TaskGroup({ group_id: 'g', dag: dag2 });
new BashOperator({ task_id: 'ok', task_group: g, bash_command: 'true' });
new BashOperator({ task_id: 'broken', task_group: g, bash_command: 'exit 1' });
g.rshift(new EmptyOperator({ task_id: 'after', dag: dag2 }));
`);
    h.writeDag('grouped_decl.yaml', `
dag_id: grouped_decl
schedule: null
tasks:
  - { id: pull, type: bash, task_group: etl, bash_command: 'echo pull' }
  - { id: push, type: bash, task_group: etl, depends_on: etl.pull, bash_command: 'echo push' }
  - { id: report, type: bash, depends_on: [etl], bash_command: 'echo report' }
`);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  /** Start and end times of every task instance of a run, by task id. */
  const times = async (runId: string) => Object.fromEntries((await rows<{ task_id: string; start_date: Date; end_date: Date }>(h.db,
    'select task_id, start_date, end_date from task_instance where run_id = ?', [runId])).map((t) => [t.task_id, t]));

  it('runs every task under its prefixed id, in the order the group edges give', async () => {
    const run = await h.trigger({ dag_id: 'grouped' });
    expect(await h.waitForRun('grouped', run.run_id)).to.equal('success');
    expect(await h.taskStates('grouped', run.run_id)).to.deep.equal({
      'start': 'success', 'extract.a': 'success', 'extract.b': 'success',
      'load.first': 'success', 'load.inner.x': 'success', 'end': 'success',
    });
    const t = await times(run.run_id);
    // load's root runs after both leaves of extract; end after load's only leaf (the nested group).
    expect(t['load.first']!.start_date.getTime()).to.be.at.least(t['extract.a']!.end_date.getTime());
    expect(t['load.first']!.start_date.getTime()).to.be.at.least(t['extract.b']!.end_date.getTime());
    expect(t['end']!.start_date.getTime()).to.be.at.least(t['load.inner.x']!.end_date.getTime());
    const logs = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.run_id = ? and ti.task_id = 'load.first'`, [run.run_id]);
    expect(logs.map((l) => l.message)).to.include('got 7');
  });

  it('gives the group default_args to its tasks and stores each task\'s group in the serialized DAG', async () => {
    const tis = await rows<{ task_id: string; max_tries: number }>(h.db,
      `select task_id, max_tries from task_instance where dag_id = 'grouped' order by task_id`);
    expect(Object.fromEntries(tis.map((t) => [t.task_id, t.max_tries]))).to.deep.include({
      'extract.a': 4, 'extract.b': 4, 'load.first': 1, 'start': 1,
    });
    const [v] = await rows<{ serialized: { tasks: Array<{ task_id: string; task_group: string | null }> } }>(h.db,
      `select serialized from dag_version where dag_id = 'grouped' order by version_number desc limit 1`);
    expect(Object.fromEntries(v!.serialized.tasks.map((t) => [t.task_id, t.task_group]))).to.deep.equal({
      'start': null, 'extract.a': 'extract', 'extract.b': 'extract',
      'load.first': 'load', 'load.inner.x': 'load.inner', 'end': null,
    });
  });

  it('a failed task inside a group makes the task after the group upstream_failed', async () => {
    const run = await h.trigger({ dag_id: 'grouped_fail' });
    expect(await h.waitForRun('grouped_fail', run.run_id)).to.equal('failed');
    expect(await h.taskStates('grouped_fail', run.run_id)).to.deep.equal({
      'g.ok': 'success', 'g.broken': 'failed', 'after': 'upstream_failed',
    });
  });

  it('runs a declarative DAG whose task depends on a group', async () => {
    const run = await h.trigger({ dag_id: 'grouped_decl' });
    expect(await h.waitForRun('grouped_decl', run.run_id)).to.equal('success');
    expect(await h.taskStates('grouped_decl', run.run_id)).to.deep.equal({
      'etl.pull': 'success', 'etl.push': 'success', 'report': 'success',
    });
    const t = await times(run.run_id);
    expect(t['report']!.start_date.getTime()).to.be.at.least(t['etl.push']!.end_date.getTime());
    // "depends_on: [etl]" means the group's leaves only: push, not pull (push's upstream).
    const [v] = await rows<{ serialized: { tasks: Array<{ task_id: string; upstream: string[] }> } }>(h.db,
      `select serialized from dag_version where dag_id = 'grouped_decl' order by version_number desc limit 1`);
    expect(v!.serialized.tasks.find((x) => x.task_id === 'report')?.upstream).to.deep.equal(['etl.push']);
  });
});
