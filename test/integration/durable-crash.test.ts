/**
 * Durable steps against crashes, on the real Temporal dev server with `updraft worker`
 * child processes:
 * - the worker running a step's activity is killed with SIGKILL mid-activity: Temporal
 *   retries the activity on the live worker, the task instance re-attaches to the same
 *   workflow, and the step's side effect (a counter in PostgreSQL, committed with the
 *   step's checkpoint) happens exactly once;
 * - the Temporal server is restarted (same database file) while a durable run is in
 *   flight: the run finishes.
 */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, exitWithin, Procs, stuckTaskInstances, waitFor } from '../support/res-procs.ts';
import { requireTemporal, restartTemporal, temporalClient, temporalConnection } from '../support/temporal.ts';

const FAST = { UPDRAFT_ZOMBIE_THRESHOLD: '2', UPDRAFT_QUEUED_CHECK_AFTER: '1', UPDRAFT_TEMPORAL_HEARTBEAT_TIMEOUT: '2' };

/** A step that bumps a counter once (checkpointed with it), then works for `seconds`. */
function stepDag(dagId: string, seconds: number): string {
  return `import { DAG, task } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2026-01-01' });
task({ task_id: 'charge', dag, durable: true, retries: 3, retry_delay: 0.2 }, async (ctx) => {
  const done = await ctx.checkpoint.load<{ charged: boolean }>();
  if (!done) {
    await ctx.checkpoint.commitWith({ charged: true }, (trx) => trx.raw("update side_effect set n = n + 1 where name = '${dagId}'"));
  }
  // Long enough to be killed in: the part after the side effect.
  for (let i = 0; i < ${seconds * 10}; i++) await new Promise((r) => setTimeout(r, 100));
  return 'charged once';
});
`;
}

describe('durable steps survive crashes (real Temporal server, worker processes)', function () {
  this.timeout(180_000);
  let h: Harness | null = null;
  const procs = new Procs();

  before(async () => { await requireTemporal(); });
  afterEach(async () => {
    await procs.killAll();
    await h?.stop();
    h = null;
  });

  it('SIGKILL of the worker mid-activity: the activity is retried on a live worker, the side effect happens once', async () => {
    h = await createHarness({ env: FAST });
    const hh = h;
    await hh.db.raw('create table side_effect (name text primary key, n int not null)');
    await hh.db.raw(`insert into side_effect values ('crash_step', 0)`);
    hh.writeDag('crash_step.ts', stepDag('crash_step', 4));
    expect(await hh.processDags()).to.equal(0);
    await hh.startScheduler();
    const w1 = procs.spawnCli(['worker', '--concurrency', '2'], hh.env);
    const w2 = procs.spawnCli(['worker', '--concurrency', '2'], hh.env);
    const run = await hh.trigger({ dag_id: 'crash_step' });

    // Wait until the side effect is committed, then kill the worker running the activity.
    const first = await waitFor('the first attempt to charge', async () => {
      const [a] = await rows<{ worker_id: string; pid: number }>(hh.db, `select a.worker_id, c.pid from durable_attempt a
        join component c on c.id = a.worker_id join side_effect s on s.n = 1 where a.attempt = 1`);
      return a ?? null;
    }, 60_000, 50);
    const victim = [w1, w2].find((w) => w.pid === first.pid);
    expect(victim, 'the activity ran in one of the two workers').to.not.equal(undefined);
    victim!.child.kill('SIGKILL');
    expect((await exitWithin(victim!, 5000)).signal).to.equal('SIGKILL');

    expect(await hh.waitForRun('crash_step', run.run_id, 90_000)).to.equal('success');
    const [count] = await rows<{ n: number }>(hh.db, `select n from side_effect where name = 'crash_step'`);
    expect(count!.n, 'the side effect happened exactly once').to.equal(1);
    const attempts = await rows<{ attempt: number; outcome: string | null; worker_id: string; workflow_run_id: string }>(hh.db,
      'select attempt, outcome, worker_id, workflow_run_id from durable_attempt order by attempt');
    expect(attempts.map((a) => [a.attempt, a.outcome])).to.deep.equal([[1, null], [2, 'success']]);
    expect(attempts[1]!.worker_id, 'retried on the live worker').to.not.equal(attempts[0]!.worker_id);
    expect(new Set(attempts.map((a) => a.workflow_run_id)).size, 'one workflow execution').to.equal(1);
    const [x] = await rows<{ value: string }>(hh.db, `select value from xcom where dag_run_id = ? and task_id = 'charge'`, [run.id]);
    expect(x!.value).to.equal('charged once');

    // One execution of the step's workflow id in Temporal, completed.
    const connection = await temporalConnection();
    try {
      const client = await temporalClient(connection);
      const workflowId = `updraft/crash_step/${run.run_id}/charge/-1`;
      const executions: string[] = [];
      for await (const e of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) executions.push(e.status.name);
      expect(executions).to.deep.equal(['COMPLETED']);
    } finally {
      await connection.close();
    }
    expect(await stuckTaskInstances(hh)).to.deep.equal([]);
  });

  it('a Temporal server restart during a durable run: the run finishes', async () => {
    h = await createHarness({ env: FAST });
    const hh = h;
    await hh.db.raw('create table side_effect (name text primary key, n int not null)');
    await hh.db.raw(`insert into side_effect values ('restart_step', 0)`);
    hh.writeDag('restart_step.ts', stepDag('restart_step', 3));
    expect(await hh.processDags()).to.equal(0);
    await hh.startScheduler();
    procs.spawnCli(['worker', '--concurrency', '2'], hh.env);
    const run = await hh.trigger({ dag_id: 'restart_step' });
    await waitFor('the step to be under way', async () => (await rows(hh.db, `select 1 from side_effect where n = 1`)).length > 0, 60_000, 50);
    await restartTemporal();
    expect(await hh.waitForRun('restart_step', run.run_id, 120_000)).to.equal('success');
    const [count] = await rows<{ n: number }>(hh.db, `select n from side_effect where name = 'restart_step'`);
    expect(count!.n).to.equal(1);
  });
});
