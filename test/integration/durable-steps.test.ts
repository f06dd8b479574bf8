/**
 * Durable steps on the real Temporal dev server (scripts/temporal.sh), real PostgreSQL
 * and Redis, in-process scheduler and workers (each with its Temporal worker):
 * - a durable task runs as an activity of its own workflow (deterministic id), its
 *   return value is the XCom, its attempt is recorded, its TI is attached to it;
 * - retries with backoff as configured are Temporal's: one Updraft try, three attempts,
 *   the gaps at least the configured delays;
 * - a non-retryable failure (TaskFailNow) fails after one attempt.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness } from '../support/sched-helpers.ts';
import { requireTemporal, temporalClient, temporalConnection } from '../support/temporal.ts';
import type { Connection } from '@temporalio/client';

interface Attempt { attempt: number; outcome: string | null; start_date: Date; end_date: Date | null; error: string | null; workflow_id: string }

describe('durable steps (real Temporal server)', function () {
  this.timeout(120_000);
  let h: Harness;
  let connection: Connection;

  before(async () => {
    await requireTemporal();
    connection = await temporalConnection();
    h = await createHarness({ env: { UPDRAFT_TEMPORAL_HEARTBEAT_TIMEOUT: '2' } });
    await h.db.raw('create table durable_counter (name text primary key, n int not null)');
    h.writeDag('durable_basic.ts', `
import { DAG, task, TaskFailNow } from 'updraft';
const dag = new DAG({ dag_id: 'durable_basic', schedule: null, start_date: '2026-01-01' });
const a = task({ task_id: 'add', dag, durable: true }, async (ctx) => 40 + 2);
const flaky = task({ task_id: 'flaky', dag, durable: true, retries: 2, retry_delay: 0.4, retry_exponential_backoff: true },
  async (ctx) => {
    const n = await ctx.checkpoint.commitWith(null, async (trx) => {
      const r = await trx.raw("insert into durable_counter values ('flaky', 1) on conflict (name) do update set n = durable_counter.n + 1 returning n");
      return r.rows[0].n as number;
    }, 'unused');
    if (n < 3) throw new Error('not yet: attempt ' + n);
    return 'ok after ' + n;
  });
task({ task_id: 'fatal', dag, durable: true, retries: 3, retry_delay: 0.1 }, async () => { throw new TaskFailNow('no point retrying'); });
a.rshift(flaky);
`);
    h.writeDag('durable_payment.ts', fs.readFileSync(new URL('../../dags/example_durable_payment.ts', import.meta.url), 'utf8'));
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker({ temporal: true });
  });
  after(async () => {
    await h?.stop();
    await connection?.close();
  });

  async function attempts(runId: string, taskId: string): Promise<Attempt[]> {
    return rows<Attempt>(h.db, `select a.attempt, a.outcome, a.start_date, a.end_date, a.error, a.workflow_id from durable_attempt a
      join task_instance ti on ti.id = a.ti_id where ti.run_id = ? and ti.task_id = ? order by a.attempt`, [runId, taskId]);
  }

  it('runs each durable task as a Temporal activity: XCom, attempts, retries with backoff, no retry on TaskFailNow', async () => {
    const run = await h.trigger({ dag_id: 'durable_basic' });
    expect(await h.waitForRun('durable_basic', run.run_id, 60_000)).to.equal('failed');
    expect(await h.taskStates('durable_basic', run.run_id)).to.deep.equal({ add: 'success', flaky: 'success', fatal: 'failed' });

    const [x] = await rows<{ value: number }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'add'`, [run.id]);
    expect(x!.value).to.equal(42);
    const add = await attempts(run.run_id, 'add');
    expect(add.map((a) => [a.attempt, a.outcome])).to.deep.equal([[1, 'success']]);
    expect(add[0]!.workflow_id).to.equal(`updraft/durable_basic/${run.run_id}/add/-1`);
    const client = await temporalClient(connection);
    const described = await client.workflow.getHandle(add[0]!.workflow_id).describe();
    expect(described.status.name).to.equal('COMPLETED');

    const flaky = await attempts(run.run_id, 'flaky');
    expect(flaky.map((a) => [a.attempt, a.outcome])).to.deep.equal([[1, 'failed'], [2, 'failed'], [3, 'success']]);
    const gap = (i: number) => flaky[i]!.start_date.getTime() - flaky[i - 1]!.end_date!.getTime();
    expect(gap(1), 'first retry after retry_delay').to.be.at.least(350);
    expect(gap(2), 'second retry after twice retry_delay').to.be.at.least(750);
    const [ft] = await rows<{ try_number: number; external_executor_id: string }>(h.db,
      `select try_number, external_executor_id from task_instance where run_id = ? and task_id = 'flaky'`, [run.run_id]);
    expect(ft!.try_number, 'one Updraft try: the retries were done by Temporal').to.equal(1);
    expect(ft!.external_executor_id).to.equal(`step:updraft/durable_basic/${run.run_id}/flaky/-1`);

    const fatal = await attempts(run.run_id, 'fatal');
    expect(fatal.map((a) => [a.attempt, a.outcome])).to.deep.equal([[1, 'failed']]);
    const logs = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.run_id = ? and ti.task_id = 'fatal' order by l.id`, [run.run_id]);
    expect(logs.map((l) => l.message).join('\n')).to.match(/durable step failed: no point retrying/);
  });

  it('the example dags/example_durable_payment.ts charges once and passes the payment on', async () => {
    const run = await h.trigger({ dag_id: 'example_durable_payment' });
    expect(await h.waitForRun('example_durable_payment', run.run_id, 60_000)).to.equal('success');
    const payments = await rows<{ payment: string }>(h.db, 'select payment from example_payments where run_id = ?', [run.run_id]);
    expect(payments).to.have.length(1);
    const [x] = await rows<{ value: string }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'receipt'`, [run.id]);
    expect(x!.value).to.equal(`receipt for payment ${payments[0]!.payment}`);
  });
});
