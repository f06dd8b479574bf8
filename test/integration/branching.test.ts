/** Branching, bash branching, short-circuit and latest-only, end to end. */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

describe('branching operators', function () {
  this.timeout(60_000);
  let h: Harness;
  const day = (n: number) => new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() - n));

  before(async () => {
    h = await Harness.create();
    h.writeDag('branchy.ts', `
import { BashOperator, DAG, branch, shortCircuit } from 'updraft';
const dag = new DAG({ dag_id: 'branchy', schedule: null });
const pick = branch({ task_id: 'pick', dag }, (ctx) => ctx.conf.go as string);
const a = new BashOperator({ task_id: 'path_a', dag, bash_command: 'echo a' });
const b = new BashOperator({ task_id: 'path_b', dag, bash_command: 'echo b' });
const bAfter = new BashOperator({ task_id: 'b_after', dag, bash_command: 'echo after b' });
const join = new BashOperator({ task_id: 'join', dag, trigger_rule: 'none_failed_min_one_success', bash_command: 'echo join' });
pick.rshift([a, b]);
a.rshift(join);
b.rshift(join);
b.rshift(bAfter);

const dag2 = new DAG({ dag_id: 'shorty', schedule: null });
const gate = shortCircuit({ task_id: 'gate', dag: dag2 }, (ctx) => ctx.conf.open === true);
const s1 = new BashOperator({ task_id: 's1', dag: dag2, bash_command: 'true' });
const s2 = new BashOperator({ task_id: 's2', dag: dag2, trigger_rule: 'all_done', bash_command: 'true' });
gate.rshift(s1).rshift(s2);

const dag3 = new DAG({ dag_id: 'shorty_rules', schedule: null });
const gate3 = shortCircuit({ task_id: 'gate', dag: dag3, ignore_downstream_trigger_rules: false }, () => false);
const t1 = new BashOperator({ task_id: 's1', dag: dag3, bash_command: 'true' });
const t2 = new BashOperator({ task_id: 's2', dag: dag3, trigger_rule: 'all_done', bash_command: 'true' });
gate3.rshift(t1).rshift(t2);
`);
    h.writeDag('bash_branch.yaml', `
dag_id: bash_branch
schedule: null
tasks:
  - { id: choose, type: branch_bash, bash_command: 'echo "checking"; echo path_b' }
  - { id: path_a, type: bash, depends_on: [choose], bash_command: 'echo a' }
  - { id: path_b, type: bash, depends_on: [choose], bash_command: 'echo b' }
`);
    h.writeDag('latest.yaml', `
dag_id: latest
schedule: '@daily'
start_date: '${day(3).toISOString().slice(0, 10)}'
catchup: true
tasks:
  - { id: only_latest, type: latest_only }
  - { id: report, type: bash, depends_on: [only_latest], bash_command: 'echo report' }
`);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  it('branch follows the chosen task; the other path and what hangs off it are skipped; the join runs', async () => {
    const run = await h.trigger({ dag_id: 'branchy', conf: { go: 'path_a' } });
    expect(await h.waitForRun('branchy', run.run_id)).to.equal('success');
    expect(await h.taskStates('branchy', run.run_id)).to.deep.equal({
      pick: 'success', path_a: 'success', path_b: 'skipped', b_after: 'skipped', join: 'success',
    });
    const [x] = await rows<{ value: unknown }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'pick'`, [run.id]);
    expect(x?.value).to.deep.equal(['path_a']);
  });

  it('a branch naming a task that is not a direct downstream task fails with a clear error', async () => {
    const run = await h.trigger({ dag_id: 'branchy', conf: { go: 'join' } });
    expect(await h.waitForRun('branchy', run.run_id)).to.equal('failed');
    const [t] = await rows<{ error: string }>(h.db, `select t.error from task_instance_try t join task_instance ti on ti.id = t.ti_id
      where ti.run_id = ? and ti.task_id = 'pick'`, [run.run_id]);
    expect(t?.error).to.include('branch "pick" chose "join", which is not one of its direct downstream tasks (path_a, path_b)');
  });

  it('the bash branch follows the ids on its last stdout line', async () => {
    const run = await h.trigger({ dag_id: 'bash_branch' });
    expect(await h.waitForRun('bash_branch', run.run_id)).to.equal('success');
    expect(await h.taskStates('bash_branch', run.run_id)).to.deep.equal({ choose: 'success', path_a: 'skipped', path_b: 'success' });
  });

  it('short-circuit: true lets everything run; false skips every downstream task, all_done ones included', async () => {
    const open = await h.trigger({ dag_id: 'shorty', conf: { open: true } });
    expect(await h.waitForRun('shorty', open.run_id)).to.equal('success');
    expect(await h.taskStates('shorty', open.run_id)).to.deep.equal({ gate: 'success', s1: 'success', s2: 'success' });
    const closed = await h.trigger({ dag_id: 'shorty', conf: { open: false } });
    expect(await h.waitForRun('shorty', closed.run_id)).to.equal('success');
    expect(await h.taskStates('shorty', closed.run_id)).to.deep.equal({ gate: 'success', s1: 'skipped', s2: 'skipped' });
  });

  it('short-circuit honouring trigger rules skips only direct downstream tasks', async () => {
    const run = await h.trigger({ dag_id: 'shorty_rules' });
    expect(await h.waitForRun('shorty_rules', run.run_id)).to.equal('success');
    expect(await h.taskStates('shorty_rules', run.run_id)).to.deep.equal({ gate: 'success', s1: 'skipped', s2: 'success' });
  });

  it('latest_only: only the latest scheduled run and manual runs reach the downstream task', async () => {
    const deadline = Date.now() + 20_000;
    let runs: Array<{ run_id: string; state: string; logical_date: Date }> = [];
    while (Date.now() < deadline) {
      runs = await rows(h.db, `select run_id, state, logical_date from dag_run where dag_id = 'latest' and run_type = 'scheduled' order by logical_date`);
      if (runs.length >= 3 && runs.every((r) => r.state === 'success')) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(runs.length).to.be.at.least(3);
    const states = await Promise.all(runs.map(async (r) => (await h.taskStates('latest', r.run_id)).report));
    expect(states[states.length - 1], 'the latest run reports').to.equal('success');
    expect(states.slice(0, -1).every((s) => s === 'skipped'), `older runs skip: ${JSON.stringify(states)}`).to.equal(true);
    const manual = await h.trigger({ dag_id: 'latest', logical_date: day(10) });
    expect(await h.waitForRun('latest', manual.run_id)).to.equal('success');
    expect((await h.taskStates('latest', manual.run_id)).report).to.equal('success');
  });
});
