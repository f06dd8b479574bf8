/** The quality operator end to end: checks on real tables, failures named in the log and error, import-time validation. */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

describe('quality operator', function () {
  this.timeout(60_000);
  let h: Harness;

  const logOf = async (runId: string, taskId: string) => (await rows<{ message: string }>(h.db, `
    select l.message from task_log l join task_instance ti on ti.id = l.ti_id
    where ti.run_id = ? and ti.task_id = ? order by l.id`, [runId, taskId])).map((l) => l.message);
  const errorOfTask = async (runId: string, taskId: string) => (await rows<{ error: string | null }>(h.db, `
    select t.error from task_instance_try t join task_instance ti on ti.id = t.ti_id
    where ti.run_id = ? and ti.task_id = ?`, [runId, taskId]))[0]?.error;

  before(async () => {
    h = await Harness.create();
    await h.db.raw(`create schema src; create table src.sales (region text, revenue numeric, cost numeric)`);
    await h.db.raw(`insert into src.sales values ('eu', 10, 5), ('us', -1, 0), ('apac', -2.5, 1), (null, 3, 1), ('void', 4, 9)`);
    h.writeDag('quality_bad.json', JSON.stringify({
      dag_id: 'quality_bad', tasks: [
        { id: 'build', type: 'sql', query: 'select * from src.sales', output: 'checked.sales' },
        { id: 'check', type: 'quality', depends_on: 'build',
          checks: ['row_count > 0', 'revenue >= 0', 'region is not null', "region != 'void'", 'revenue >= cost', 'row_count < 5'] },
      ],
    }));
    h.writeDag('quality_ok.yaml', [
      'dag_id: quality_ok',
      'tasks:',
      '  - id: check',
      '    type: quality',
      '    table: src.sales',
      `    checks: ["row_count = 5", "revenue > -10", "cost >= 0", "region != 'mars'", "\\"Revenue\\" is null or 1"]`,
    ].join('\n'));
    h.writeDag('quality_orphan.json', JSON.stringify({
      dag_id: 'quality_orphan', tasks: [
        { id: 'start', type: 'sql', query: 'select 1' },
        { id: 'check', type: 'quality', depends_on: 'start', checks: ['row_count > 0'] },
      ],
    }));
    h.writeDag('quality_invalid.json', JSON.stringify({
      dag_id: 'quality_invalid', tasks: [{ id: 'quality_check', type: 'quality', table: 't', checks: ['row_count > 0', 'revenue >= zero or 1'] }],
    }));
    await h.processDags();
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  it('reports invalid checks as import errors naming the task and the check', async () => {
    const errors = await rows<{ filename: string; error: string }>(h.db, 'select filename, error from import_error order by filename');
    expect(errors.map((e) => e.filename.replace(/.*\//, ''))).to.deep.equal(['quality_invalid.json', 'quality_ok.yaml']);
    expect(errors[0]!.error).to.include('task "quality_check": invalid check "revenue >= zero or 1": unexpected "or" after the end of the check');
    expect(errors[1]!.error).to.include('invalid check "\\"Revenue\\" is null or 1": unexpected "or"');
  });

  it('fails when checks fail, naming each failing check with its count in the log and the error', async () => {
    const run = await h.trigger({ dag_id: 'quality_bad' });
    expect(await h.waitForRun('quality_bad', run.run_id)).to.equal('failed');
    expect(await h.taskStates('quality_bad', run.run_id)).to.deep.equal({ build: 'success', check: 'failed' });
    const log = await logOf(run.run_id, 'check');
    const expected = [
      'check "revenue >= 0" failed: 2 rows violate it',
      'check "region is not null" failed: 1 row violates it',
      'check "region != \'void\'" failed: 1 row violates it',
      'check "revenue >= cost" failed: 3 rows violate it',
      'check "row_count < 5" failed: row_count is 5',
    ];
    for (const line of expected) expect(log).to.include(line);
    expect(log).to.include('check "row_count > 0" passed (row_count is 5)');
    const error = await errorOfTask(run.run_id, 'check');
    expect(error).to.equal(`5 of 6 quality check(s) failed on checked.sales: ${expected.join('; ')}`);
  });

  it('passes when every check holds on an explicit table, returning the row count', async () => {
    h.writeDag('quality_ok.yaml', [
      'dag_id: quality_ok',
      'tasks:',
      '  - id: check',
      '    type: quality',
      '    table: src.sales',
      `    checks: ["row_count = 5", "revenue > -10", "cost >= 0", "region != 'mars'", "\\"revenue\\" is not null"]`,
    ].join('\n'));
    await h.processDags();
    const run = await h.trigger({ dag_id: 'quality_ok' });
    expect(await h.waitForRun('quality_ok', run.run_id)).to.equal('success');
    const [x] = await rows<{ value: unknown }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'check'`, [run.id]);
    expect(x?.value).to.equal(5);
    expect(await logOf(run.run_id, 'check')).to.include('all 5 check(s) passed on src.sales (5 rows)');
  });

  it('fails clearly when there is no table to check', async () => {
    const run = await h.trigger({ dag_id: 'quality_orphan' });
    expect(await h.waitForRun('quality_orphan', run.run_id)).to.equal('failed');
    expect(await errorOfTask(run.run_id, 'check')).to.equal(
      'task "check": no table to check: set "table", or make the task directly downstream of a sql task that has an "output"');
  });
});
