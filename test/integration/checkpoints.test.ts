/**
 * Checkpoints on real PostgreSQL: a retry reads what the failed try saved; commitWith
 * commits the work's writes and the checkpoint together (a failure inside rolls back
 * both); clearing the task instance starts it over.
 */
import { expect } from 'chai';
import { clearTaskInstances } from '../../core/transitions/clear.ts';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness } from '../support/sched-helpers.ts';

describe('checkpoints: resuming a task where its last try stopped', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await createHarness();
    await h.db.raw('create table if not exists ckpt_items (n int primary key)');
    h.writeDag('resume.ts', `
import { DAG, task } from 'updraft';
const dag = new DAG({ dag_id: 'resume', schedule: null, start_date: '2026-01-01' });
// Writes items 1..6 in batches of 2, each batch with its checkpoint in one transaction;
// the first try dies after the second batch (and a third batch that is rolled back).
task({ task_id: 'work', dag, retries: 2, retry_delay: 0.1 }, async (ctx) => {
  const from = ((await ctx.checkpoint.load<{ next: number }>()) ?? { next: 1 }).next;
  ctx.log.info('starting at ' + from + ' on try ' + ctx.ti.try_number);
  for (let n = from; n <= 6; n += 2) {
    await ctx.checkpoint.commitWith({ next: n + 2 }, async (trx) => {
      await trx.raw('insert into ckpt_items (n) values (?), (?)', [n, n + 1]);
      if (ctx.ti.try_number === 1 && n === 5) throw new Error('worker lost mid-batch');
    });
  }
  return from;
});
`);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  it('the retry resumes after the last committed batch: every item written once, none lost', async () => {
    const run = await h.trigger({ dag_id: 'resume' });
    expect(await h.waitForRun('resume', run.run_id)).to.equal('success');
    const items = await rows<{ n: number }>(h.db, 'select n from ckpt_items order by n');
    expect(items.map((i) => i.n)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const [ti] = await rows<{ id: number; try_number: number }>(h.db, `select id, try_number from task_instance where run_id = ? and task_id = 'work'`, [run.run_id]);
    expect(ti!.try_number).to.equal(2);
    const [x] = await rows<{ value: number }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'work'`, [run.id]);
    expect(x!.value, 'the second try started at item 5').to.equal(5);

    await h.db.raw('truncate ckpt_items');
    await clearTaskInstances(h.db, [ti!.id]);
    expect((await rows(h.db, 'select 1 from checkpoint where ti_id = ?', [ti!.id]))).to.have.length(0);
    expect(await h.waitForRun('resume', run.run_id)).to.equal('success');
    expect((await rows<{ n: number }>(h.db, 'select n from ckpt_items order by n')).map((i) => i.n)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });
});
