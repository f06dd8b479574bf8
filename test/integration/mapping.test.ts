/**
 * Dynamic task mapping end to end on real PostgreSQL and Redis: expanding over an
 * upstream XCom (200 values) and over literal lists (a cross product), an empty list,
 * values that cannot be expanded, run-time validation of mapped arguments, and a
 * downstream task pulling every instance's value.
 */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness } from '../support/sched-helpers.ts';
import { runCli } from '../support/cli.ts';

describe('dynamic task mapping', function () {
  this.timeout(90_000);
  let h: Harness;

  const instances = async (dagId: string, runId: string, taskId: string) => rows<{ map_index: number; state: string | null }>(h.db,
    'select map_index, state from task_instance where dag_id = ? and run_id = ? and task_id = ? order by map_index', [dagId, runId, taskId]);
  const xcom = async (runId: string, taskId: string, mapIndex = -1) => (await rows<{ value: unknown }>(h.db, `
    select x.value from xcom x join dag_run r on r.id = x.dag_run_id
    where r.run_id = ? and x.task_id = ? and x.map_index = ? and x.key = 'return_value'`, [runId, taskId, mapIndex]))[0]?.value;
  const logOf = async (dagId: string, runId: string, taskId: string) => (await rows<{ message: string }>(h.db, `
    select l.message from task_log l join task_instance t on t.id = l.ti_id
    where t.dag_id = ? and t.run_id = ? and t.task_id = ? order by l.id`, [dagId, runId, taskId])).map((l) => l.message).join('\n');

  before(async () => {
    h = await createHarness();
    h.writeDag('mapped_xcom.ts', `
import { DAG, task } from 'updraft';
const dag = new DAG({ dag_id: 'mapped_xcom', schedule: null, start_date: '2026-01-01', max_active_tasks: 32 });
const numbers = task({ task_id: 'numbers', dag }, () => Array.from({ length: 200 }, (_, i) => i));
const double = task({ task_id: 'double', dag }, (ctx, args) => ({ index: ctx.ti.map_index, value: Number(args.n) * 2 }))
  .expand({ n: numbers.output });
const total = task({ task_id: 'total', dag }, async (ctx) => {
  const all = (await ctx.ti.xcom_pull({ task_ids: 'double' })) as Array<{ index: number; value: number }>;
  return { count: all.length, sum: all.reduce((s, x) => s + x.value, 0), ordered: all.every((x, i) => x.index === i) };
});
double.rshift(total);
`);
    h.writeDag('mapped_literal.ts', `
import { DAG, BashOperator, task } from 'updraft';
const dag = new DAG({ dag_id: 'mapped_literal', schedule: null, start_date: '2026-01-01' });
const pairs = task({ task_id: 'pairs', dag }, (ctx, args) => String(args.x) + String(args.y)).expand({ x: [1, 2], y: ['a', 'b', 'c'] });
const echo = BashOperator.partial({ task_id: 'echo', dag, env: { SUFFIX: '!' } })
  .expand({ bash_command: ['echo "one$SUFFIX"', 'echo "two{{ ti.map_index }}"'] });
const joined = task({ task_id: 'joined', dag }, async (ctx) => [
  await ctx.ti.xcom_pull({ task_ids: 'pairs' }), await ctx.ti.xcom_pull({ task_ids: 'echo' }),
  await ctx.ti.xcom_pull({ task_ids: 'pairs', map_indexes: [1, 5] })]);
joined.lshift([pairs, echo]);
`);
    h.writeDag('mapped_empty.ts', `
import { DAG, BashOperator, task } from 'updraft';
const dag = new DAG({ dag_id: 'mapped_empty', schedule: null, start_date: '2026-01-01' });
const none = task({ task_id: 'none', dag }, () => []);
const each = BashOperator.partial({ task_id: 'each', dag }).expand({ bash_command: none.output });
const after = new BashOperator({ task_id: 'after', dag, bash_command: 'true' });
const always = new BashOperator({ task_id: 'always', dag, bash_command: 'true', trigger_rule: 'all_done' });
each.rshift([after, always]);
`);
    h.writeDag('mapped_bad.ts', `
import { DAG, BashOperator, task } from 'updraft';
const dag = new DAG({ dag_id: 'mapped_bad', schedule: null, start_date: '2026-01-01' });
const notList = task({ task_id: 'not_list', dag }, () => ({ a: 1 }));
task({ task_id: 'over_not_list', dag }, () => 1).expand({ v: notList.output });
const tooMany = task({ task_id: 'too_many', dag }, () => Array.from({ length: 1025 }, (_, i) => i));
task({ task_id: 'over_too_many', dag }, () => 1).expand({ v: tooMany.output });
BashOperator.partial({ task_id: 'bad_value', dag }).expand({ bash_command: ['echo ok', 42] });
`);
    h.writeDag('custom_op.ts', `
import { DAG, BaseOperator, z, type TaskArgs, type TaskContext } from 'updraft';
class GreetOperator extends BaseOperator<{ name: string; greeting: string }> {
  readonly operatorType = 'greet';
  override readonly templateFields = ['greeting'];
  constructor(args: TaskArgs & Partial<{ name: string; greeting: string }>) {
    super(args, z.object({ name: z.string(), greeting: z.string().default('hello') }));
  }
  async execute(args: { name: string; greeting: string }, ctx: TaskContext) { return args.greeting + ' ' + args.name + ' #' + ctx.ti.map_index; }
}
const dag = new DAG({ dag_id: 'custom_op', schedule: null, start_date: '2026-01-01' });
GreetOperator.partial({ task_id: 'greet', dag, greeting: '{{ dag.dag_id }} says hi' }).expand({ name: ['ann', 'bob'] });
new GreetOperator({ task_id: 'plain', dag, name: 'cy' });
GreetOperator.partial({ task_id: 'bad', dag }).expand({ name: [7] });
`);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  it('expands over an upstream XCom of 200 items; the downstream task pulls all 200 values in map_index order', async () => {
    const run = await h.trigger({ dag_id: 'mapped_xcom' });
    expect(await h.waitForRun('mapped_xcom', run.run_id, 60_000)).to.equal('success');
    const tis = await instances('mapped_xcom', run.run_id, 'double');
    expect(tis.map((t) => t.map_index)).to.deep.equal(Array.from({ length: 200 }, (_, i) => i));
    expect(tis.every((t) => t.state === 'success')).to.equal(true);
    expect(await xcom(run.run_id, 'double', 7)).to.deep.equal({ index: 7, value: 14 });
    expect(await xcom(run.run_id, 'total')).to.deep.equal({ count: 200, sum: 2 * (199 * 200) / 2, ordered: true });
  });

  it('literal lists: a cross product (last argument fastest), a partial operator, templates rendered per instance', async () => {
    const run = await h.trigger({ dag_id: 'mapped_literal' });
    expect(await h.waitForRun('mapped_literal', run.run_id)).to.equal('success');
    expect((await instances('mapped_literal', run.run_id, 'pairs')).map((t) => t.map_index)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(await xcom(run.run_id, 'joined')).to.deep.equal([
      ['1a', '1b', '1c', '2a', '2b', '2c'], ['one!', 'two1'], ['1b', '2c'],
    ]);
  });

  it('an empty list skips the mapped task; the skip cascades by trigger rule', async () => {
    const run = await h.trigger({ dag_id: 'mapped_empty' });
    expect(await h.waitForRun('mapped_empty', run.run_id)).to.equal('success');
    expect(await h.taskStates('mapped_empty', run.run_id)).to.deep.equal({ none: 'success', each: 'skipped', after: 'skipped', always: 'success' });
    expect(await logOf('mapped_empty', run.run_id, 'each')).to.include('empty list');
  });

  it('an operator class defined in the DAG file runs, mapped or not; its mapped values are validated by its schema', async () => {
    const run = await h.trigger({ dag_id: 'custom_op' });
    expect(await h.waitForRun('custom_op', run.run_id)).to.equal('failed');
    expect(await xcom(run.run_id, 'greet', 0)).to.equal('custom_op says hi ann #0');
    expect(await xcom(run.run_id, 'greet', 1)).to.equal('custom_op says hi bob #1');
    expect(await xcom(run.run_id, 'plain')).to.equal('hello cy #-1');
    expect(await instances('custom_op', run.run_id, 'bad')).to.deep.equal([{ map_index: 0, state: 'failed' }]);
    expect(await logOf('custom_op', run.run_id, 'bad')).to.match(/name: .*string/i);
  });

  it('bad values: a non-list or an over-long list fails the pushing task with the reason; a mapped value failing validation fails its instance', async () => {
    const run = await h.trigger({ dag_id: 'mapped_bad' });
    expect(await h.waitForRun('mapped_bad', run.run_id)).to.equal('failed');
    const states = await h.taskStates('mapped_bad', run.run_id);
    expect(states).to.include({ not_list: 'failed', over_not_list: 'upstream_failed', too_many: 'failed', over_too_many: 'upstream_failed' });
    expect(await logOf('mapped_bad', run.run_id, 'not_list')).to.include('task "over_not_list" expands over this task\'s return value, but expected a list, got object');
    expect(await logOf('mapped_bad', run.run_id, 'too_many')).to.include('it has 1025 values; at most 1024');
    expect(await instances('mapped_bad', run.run_id, 'bad_value')).to.deep.equal([{ map_index: 0, state: 'success' }, { map_index: 1, state: 'failed' }]);
    expect(await logOf('mapped_bad', run.run_id, 'bad_value')).to.match(/bash_command/);
  });

  it('CLI: states-for-dag-run lists map indexes; tasks test runs one instance of a literal map; failed-deps takes --map-index', async () => {
    const run = await h.trigger({ dag_id: 'mapped_literal' });
    expect(await h.waitForRun('mapped_literal', run.run_id)).to.equal('success');
    const listed = await runCli(['tasks', 'states-for-dag-run', 'mapped_literal', run.run_id, '-o', 'json'], h.env);
    expect(listed.code, listed.stderr).to.equal(0);
    const rowsOut = JSON.parse(listed.stdout) as Array<{ task_id: string; map_index: number; state: string }>;
    expect(rowsOut.filter((r) => r.task_id === 'echo').map((r) => [r.map_index, r.state])).to.deep.equal([[0, 'success'], [1, 'success']]);

    const one = await runCli(['tasks', 'test', 'mapped_literal', 'echo', '--map-index', '1'], h.env);
    expect(one.code, one.stderr).to.equal(0);
    expect(one.stdout).to.include('return value: "two1"');
    const outside = await runCli(['tasks', 'test', 'mapped_literal', 'echo', '--map-index', '5'], h.env);
    expect(outside.code).to.not.equal(0);
    expect(outside.stderr + outside.stdout).to.include('has 2 mapped instances: --map-index must be 0..1');
    const fromXcom = await runCli(['tasks', 'test', 'mapped_xcom', 'double'], h.env);
    expect(fromXcom.code).to.not.equal(0);
    expect(fromXcom.stderr + fromXcom.stdout).to.include('over the XCom of task "numbers"');

    const deps = await runCli(['tasks', 'failed-deps', 'mapped_literal', 'pairs', run.run_id, '--map-index', '4'], h.env);
    expect(deps.code, deps.stderr).to.equal(0);
    expect(deps.stdout).to.include(`Task instance mapped_literal/${run.run_id}/pairs[4] is success`);
  });
});
