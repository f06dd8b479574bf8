/**
 * Concurrency caps on real PostgreSQL and Redis: max_active_tasks, pools and pool_slots
 * are never over-committed (sampled while tasks run, and checked again from the
 * recorded try times), and ready tasks take a scarce pool slot by priority_weight.
 */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, maxOverlap, sample, tries } from '../support/sched-helpers.ts';

describe('scheduling: caps are never over-committed', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await createHarness();
    await h.db('slot_pool').insert([
      { pool: 'single', slots: 1, description: 'one at a time' },
      { pool: 'triple', slots: 3, description: 'three slots' },
      { pool: 'prio', slots: 1, description: 'priority test' },
    ]);
    h.writeDag('mat.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'mat', schedule: null, start_date: '2026-01-01', max_active_tasks: 2 });
for (let i = 0; i < 10; i++) new BashOperator({ task_id: 't' + i, dag, bash_command: 'sleep 0.2' });
`);
    h.writeDag('pool_single.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'pool_single', schedule: null, start_date: '2026-01-01' });
for (let i = 0; i < 5; i++) new BashOperator({ task_id: 'p' + i, dag, pool: 'single', bash_command: 'sleep 0.2' });
for (let i = 0; i < 3; i++) new BashOperator({ task_id: 'free' + i, dag, bash_command: 'sleep 0.6' });
`);
    h.writeDag('pool_slots.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'pool_slots', schedule: null, start_date: '2026-01-01' });
for (let i = 0; i < 4; i++) new BashOperator({ task_id: 'big' + i, dag, pool: 'triple', pool_slots: 2, bash_command: 'sleep 0.25' });
for (let i = 0; i < 2; i++) new BashOperator({ task_id: 'small' + i, dag, pool: 'triple', pool_slots: 1, bash_command: 'sleep 0.25' });
`);
    h.writeDag('prio.ts', `
import { DAG, BashOperator, chain } from 'updraft';
const dag = new DAG({ dag_id: 'prio', schedule: null, start_date: '2026-01-01' });
const weights: Record<string, number> = { a: 3, b: 1, c: 5, d: 2 };
for (const [id, w] of Object.entries(weights)) {
  new BashOperator({ task_id: id, dag, pool: 'prio', priority_weight: w, weight_rule: 'absolute', bash_command: 'sleep 0.1' });
}
// weight_rule "downstream" (the default): 1 + the five tasks after it = 6, above every absolute weight.
const lead = new BashOperator({ task_id: 'lead', dag, pool: 'prio', bash_command: 'sleep 0.1' });
const after = [1, 2, 3, 4, 5].map((i) => new BashOperator({ task_id: 'after' + i, dag, bash_command: 'true' }));
chain(lead, ...after);
`);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker({ concurrency: 12 });
  });
  after(async () => { await h.stop(); });

  it('max_active_tasks 2: two runs of ten parallel tasks, never more than 2 queued or running, all succeed', async () => {
    const sampler = sample(async () => (await rows<{ n: number }>(h.db,
      `select count(*)::int as n from task_instance where dag_id = 'mat' and state in ('queued', 'running')`))[0]!.n);
    // Two runs at once: the cap is the DAG's, across its runs.
    const runs = [await h.trigger({ dag_id: 'mat' }), await h.trigger({ dag_id: 'mat' })];
    for (const run of runs) expect(await h.waitForRun('mat', run.run_id, 30_000)).to.equal('success');
    const samples = await sampler.stop();
    for (const run of runs) expect(Object.values(await h.taskStates('mat', run.run_id))).to.deep.equal(Array(10).fill('success'));
    expect(Math.max(...samples), 'most tasks queued+running at a sampled moment').to.equal(2);
    const t = await tries(h, 'mat');
    expect(t).to.have.length(20);
    expect(maxOverlap(t), 'most tries running at once (recorded times)').to.be.at.most(2);
  });

  it('a pool of 1 slot shared by several tasks runs them one at a time; other pools are not held back', async () => {
    const sampler = sample(async () => (await rows<{ n: number; free: number }>(h.db, `
      select coalesce(sum(pool_slots) filter (where pool = 'single'), 0)::int as n,
             count(*) filter (where pool = 'default_pool')::int as free
      from task_instance where dag_id = 'pool_single' and state in ('queued', 'running')`))[0]!);
    const run = await h.trigger({ dag_id: 'pool_single' });
    const state = await h.waitForRun('pool_single', run.run_id, 30_000);
    const samples = await sampler.stop();
    expect(state).to.equal('success');
    expect(Object.values(await h.taskStates('pool_single', run.run_id))).to.deep.equal(Array(8).fill('success'));
    expect(Math.max(...samples.map((s) => s.n)), 'slots of pool "single" in use at a sampled moment').to.equal(1);
    expect(Math.max(...samples.map((s) => s.free)), 'default_pool tasks ran alongside').to.equal(3);
    const t = (await tries(h, 'pool_single', run.run_id)).filter((x) => x.task_id.startsWith('p'));
    expect(t).to.have.length(5);
    expect(maxOverlap(t), 'pool "single" tries running at once (recorded times)').to.equal(1);
  });

  it('pool_slots 2 on a pool of 3 slots: slot use never exceeds 3, all tasks finish', async () => {
    const sampler = sample(async () => (await rows<{ slots: number; big: number }>(h.db, `
      select coalesce(sum(pool_slots), 0)::int as slots, count(*) filter (where pool_slots = 2)::int as big
      from task_instance where dag_id = 'pool_slots' and pool = 'triple' and state in ('queued', 'running')`))[0]!);
    const run = await h.trigger({ dag_id: 'pool_slots' });
    const state = await h.waitForRun('pool_slots', run.run_id, 30_000);
    const samples = await sampler.stop();
    expect(state).to.equal('success');
    const tis = await rows<{ task_id: string; pool_slots: number; state: string }>(h.db,
      `select task_id, pool_slots, state from task_instance where run_id = ? and dag_id = 'pool_slots' order by task_id`, [run.run_id]);
    expect(tis.map((x) => [x.task_id, x.pool_slots, x.state])).to.deep.equal([
      ['big0', 2, 'success'], ['big1', 2, 'success'], ['big2', 2, 'success'], ['big3', 2, 'success'],
      ['small0', 1, 'success'], ['small1', 1, 'success'],
    ]);
    expect(Math.max(...samples.map((s) => s.slots)), 'slots of pool "triple" in use at a sampled moment').to.be.at.most(3);
    expect(Math.max(...samples.map((s) => s.big)), 'two 2-slot tasks never share 3 slots').to.equal(1);
    const t = await tries(h, 'pool_slots', run.run_id);
    expect(maxOverlap(t, (i) => t[i]!.pool_slots), 'slots used at once (recorded times)').to.be.at.most(3);
  });

  it('a scarce pool slot goes to the ready task of highest priority_weight (absolute and downstream weight rules)', async () => {
    const run = await h.trigger({ dag_id: 'prio' });
    expect(await h.waitForRun('prio', run.run_id, 30_000)).to.equal('success');
    const weights = await rows<{ task_id: string; priority_weight: number }>(h.db,
      `select task_id, priority_weight from task_instance where dag_id = 'prio' and task_id in ('lead', 'a', 'after1')`);
    expect(Object.fromEntries(weights.map((w) => [w.task_id, w.priority_weight]))).to.deep.equal({ lead: 6, a: 3, after1: 5 });
    const order = (await tries(h, 'prio', run.run_id)).filter((t) => ['a', 'b', 'c', 'd', 'lead'].includes(t.task_id));
    expect(order.map((t) => t.task_id), 'start order in the 1-slot pool').to.deep.equal(['lead', 'c', 'a', 'd', 'b']);
    expect(maxOverlap(order)).to.equal(1);
  });
});
