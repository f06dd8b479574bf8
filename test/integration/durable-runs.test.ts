/**
 * Whole runs as Temporal workflows, and versioning of durable work (real Temporal dev
 * server, real PostgreSQL and Redis, in-process scheduler and worker):
 * - a `run_as_workflow` DAG run is one workflow with an activity per task that ran, and
 *   its task states match those of the same DAG run the ordinary way (trigger rules:
 *   all_success, all_done, one_failed, none_failed; a failure and its upstream_failed);
 * - a durable step whose DAG file is edited mid-run (before the step started) runs the
 *   code of the version its run started with; the next run runs the new code.
 */
import { expect } from 'chai';
import type { Connection } from '@temporalio/client';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { waitFor } from '../support/res-procs.ts';
import { createHarness } from '../support/sched-helpers.ts';
import { requireTemporal, temporalClient, temporalConnection } from '../support/temporal.ts';

/** The same DAG twice: ordinary, and as one workflow per run. */
function rulesDag(dagId: string, asWorkflow: boolean): string {
  return `import { DAG, task, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2026-01-01', run_as_workflow: ${asWorkflow} });
const start = task({ task_id: 'start', dag }, async () => 1);
const ok = task({ task_id: 'ok', dag }, async () => 'fine');
const boom = task({ task_id: 'boom', dag }, async () => { throw new Error('boom'); });
const needsBoth = new EmptyOperator({ task_id: 'needs_both', dag });
const cleanup = new EmptyOperator({ task_id: 'cleanup', dag, trigger_rule: 'all_done' });
const alert = new EmptyOperator({ task_id: 'alert', dag, trigger_rule: 'one_failed' });
const afterOk = new EmptyOperator({ task_id: 'after_ok', dag, trigger_rule: 'none_failed' });
start.rshift([ok, boom]);
needsBoth.lshift([ok, boom]);
cleanup.lshift([ok, boom]);
alert.lshift([ok, boom]);
ok.rshift(afterOk);
`;
}

/**
 * The durable step comes after a sensor (a registry operator: the worker has not imported
 * the file for this version yet), so the step's code is first loaded after the edit.
 */
function versionedDag(result: string): string {
  return `import { DAG, task, SqlSensor } from 'updraft';
const dag = new DAG({ dag_id: 'versioned', schedule: null, start_date: '2026-01-01' });
const wait = new SqlSensor({ task_id: 'wait', dag, sql: 'select count(*) from release_step', poke_interval: 0.1 });
wait.rshift(task({ task_id: 'step', dag, durable: true }, async () => '${result}'));
`;
}

describe('runs as workflows, and durable versioning (real Temporal server)', function () {
  this.timeout(120_000);
  let h: Harness;
  let connection: Connection;

  before(async () => {
    await requireTemporal();
    connection = await temporalConnection();
    h = await createHarness({ env: { UPDRAFT_TEMPORAL_HEARTBEAT_TIMEOUT: '2' } });
    await h.db.raw('create table release_step (n int)');
    h.writeDag('rules_plain.ts', rulesDag('rules_plain', false));
    h.writeDag('rules_workflow.ts', rulesDag('rules_workflow', true));
    h.writeDag('versioned.ts', versionedDag('from version 1'));
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker({ temporal: true });
  });
  after(async () => {
    await h?.stop();
    await connection?.close();
  });

  it('a run_as_workflow run is one workflow, an activity per task that ran, with the same task states as an ordinary run', async () => {
    const plain = await h.trigger({ dag_id: 'rules_plain' });
    const durable = await h.trigger({ dag_id: 'rules_workflow' });
    expect(await h.waitForRun('rules_plain', plain.run_id, 60_000)).to.equal('failed');
    expect(await h.waitForRun('rules_workflow', durable.run_id, 60_000)).to.equal('failed');
    const states = await h.taskStates('rules_workflow', durable.run_id);
    expect(states).to.deep.equal(await h.taskStates('rules_plain', plain.run_id));
    expect(states).to.deep.equal({
      start: 'success', ok: 'success', boom: 'failed', needs_both: 'upstream_failed', cleanup: 'success', alert: 'success', after_ok: 'success',
    });

    const attached = await rows<{ task_id: string; external_executor_id: string }>(h.db,
      'select task_id, external_executor_id from task_instance where run_id = ? and dag_id = ? and external_executor_id is not null order by task_id',
      [durable.run_id, 'rules_workflow']);
    const workflowId = `updraft/rules_workflow/${durable.run_id}`;
    expect(attached.map((a) => a.task_id)).to.deep.equal(['after_ok', 'alert', 'boom', 'cleanup', 'ok', 'start']);
    expect(attached.every((a) => a.external_executor_id.startsWith(`run:${workflowId}|`))).to.equal(true);

    // The run's workflow finishes once told the run did; its history holds one activity per task that ran.
    const client = await temporalClient(connection);
    const handle = client.workflow.getHandle(workflowId);
    expect(await handle.result()).to.equal(`rules_workflow/${durable.run_id}: failed`);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runDurableStep').length;
    expect(scheduled, 'activities: one per task that ran (boom once: no retries)').to.equal(6);
    const [plainAttached] = await rows<{ n: number }>(h.db,
      `select count(*)::int n from task_instance where dag_id = 'rules_plain' and external_executor_id is not null`);
    expect(plainAttached!.n).to.equal(0);
  });

  it('a durable step finishes on the DAG version its run started with, though the file changed mid-run', async () => {
    const run = await h.trigger({ dag_id: 'versioned' });
    await waitFor('the sensor to poke', async () => (await rows(h.db,
      `select 1 from task_instance where dag_id = 'versioned' and task_id = 'wait' and state = 'running'`)).length > 0, 30_000, 50);
    h.writeDag('versioned.ts', versionedDag('from version 2'));
    expect(await h.processDags()).to.equal(0);
    const versions = await rows<{ version_number: number }>(h.db, `select version_number from dag_version where dag_id = 'versioned' order by 1`);
    expect(versions.map((v) => v.version_number)).to.deep.equal([1, 2]);
    await h.db.raw('insert into release_step values (1)');
    expect(await h.waitForRun('versioned', run.run_id, 30_000)).to.equal('success');
    const [x] = await rows<{ value: string }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'step'`, [run.id]);
    expect(x!.value).to.equal('from version 1');

    // A run started now uses version 2.
    await h.db.raw('delete from release_step');
    const next = await h.trigger({ dag_id: 'versioned' });
    await h.db.raw('insert into release_step values (1)');
    expect(await h.waitForRun('versioned', next.run_id, 30_000)).to.equal('success');
    const [y] = await rows<{ value: string }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'step'`, [next.id]);
    expect(y!.value).to.equal('from version 2');
  });
});
