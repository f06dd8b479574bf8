/**
 * Reschedule mode and per-task caps on real PostgreSQL and Redis: a task that hands its
 * slot back (TaskReschedule) waits in up_for_reschedule and goes on in the same try;
 * max_active_tis_per_dag caps one task's instances across runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { clearTaskInstances } from '../../core/transitions/clear.ts';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, maxOverlap, sample, sleep, tries } from '../support/sched-helpers.ts';

describe('scheduling: reschedule mode and max_active_tis_per_dag', function () {
  this.timeout(60_000);
  let h: Harness;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-resched-'));
    h = await createHarness();
    const counter = path.join(dir, 'pokes');
    h.writeDag('resched.ts', `
import fs from 'node:fs';
import { DAG, task, TaskReschedule } from 'updraft';
const dag = new DAG({ dag_id: 'resched', schedule: null, start_date: '2026-01-01' });
const waiter = task({ task_id: 'waiter', dag, retries: 0 }, (ctx) => {
  const n = Number(fs.existsSync(${JSON.stringify(counter)}) ? fs.readFileSync(${JSON.stringify(counter)}, 'utf8') : '0') + 1;
  fs.writeFileSync(${JSON.stringify(counter)}, String(n));
  ctx.log.info('poke ' + n + ' started ' + ctx.ti.try_started_at.toISOString());
  if (n < 3) throw new TaskReschedule(new Date(Date.now() + 300));
  return { pokes: n, try_started_at: ctx.ti.try_started_at.toISOString() };
});
const after = task({ task_id: 'after', dag }, () => 'done');
waiter.rshift(after);
`);
    const flag = path.join(dir, 'b-may-pass');
    h.writeDag('wfd.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'wfd', schedule: null, start_date: '2026-01-01', max_active_runs: 4 });
const a = new BashOperator({ task_id: 'a', dag, wait_for_downstream: true, bash_command: 'true' });
a.rshift(new BashOperator({ task_id: 'b', dag, bash_command: 'test -f ${flag}' }));
`);
    h.writeDag('capped.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'capped', schedule: null, start_date: '2026-01-01', max_active_runs: 8 });
new BashOperator({ task_id: 'one_at_a_time', dag, max_active_tis_per_dag: 1, bash_command: 'sleep 0.3' });
new BashOperator({ task_id: 'free', dag, bash_command: 'sleep 0.3' });
`);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await h.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a rescheduled task waits in up_for_reschedule, frees its slot and goes on in the same try', async () => {
    const run = await h.trigger({ dag_id: 'resched' });
    const states = sample(async () => (await rows<{ state: string | null }>(h.db,
      `select state from task_instance where dag_id = 'resched' and run_id = ? and task_id = 'waiter'`, [run.run_id]))[0]?.state ?? null, 20);
    expect(await h.waitForRun('resched', run.run_id)).to.equal('success');
    const seen = await states.stop();
    expect(seen).to.include('up_for_reschedule');
    expect(await h.taskStates('resched', run.run_id)).to.deep.equal({ waiter: 'success', after: 'success' });
    const [ti] = await rows<{ try_number: number; reschedule_at: Date | null }>(h.db,
      `select try_number, reschedule_at from task_instance where dag_id = 'resched' and run_id = ? and task_id = 'waiter'`, [run.run_id]);
    expect(ti).to.deep.equal({ try_number: 1, reschedule_at: null });
    const waiterTries = (await tries(h, 'resched', run.run_id)).filter((t) => t.task_id === 'waiter');
    expect(waiterTries.map((t) => [t.try_number, t.state])).to.deep.equal([[1, 'success']]);
    const [xcom] = await rows<{ value: { pokes: number; try_started_at: string } }>(h.db,
      `select x.value from xcom x join dag_run r on r.id = x.dag_run_id where r.run_id = ? and x.task_id = 'waiter'`, [run.run_id]);
    expect(xcom!.value.pokes).to.equal(3);
    // The try's start is the first poke's, 2 reschedules (>= 2 x 300 ms) before the last one.
    expect(waiterTries[0]!.start.toISOString()).to.equal(xcom!.value.try_started_at);
    expect(waiterTries[0]!.end.getTime() - waiterTries[0]!.start.getTime()).to.be.at.least(550);
  });

  it('max_active_tis_per_dag: 1 runs one instance of the task at a time across runs; other tasks are not held back', async () => {
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await h.trigger({ dag_id: 'capped' }));
    for (const r of runs) expect(await h.waitForRun('capped', r.run_id, 30_000)).to.equal('success');
    const all = await tries(h, 'capped');
    const capped = all.filter((t) => t.task_id === 'one_at_a_time');
    const free = all.filter((t) => t.task_id === 'free');
    expect(capped).to.have.length(4);
    expect(maxOverlap(capped)).to.equal(1);
    expect(maxOverlap(free)).to.be.greaterThan(1);
  });

  it('wait_for_downstream: a task waits for its previous instance\'s downstream tasks, and goes once they succeed', async () => {
    const first = await h.trigger({ dag_id: 'wfd', run_id: 'first', logical_date: new Date('2026-01-01T00:00:00Z') });
    expect(await h.waitForRun('wfd', first.run_id)).to.equal('failed');
    expect(await h.taskStates('wfd', 'first')).to.deep.equal({ a: 'success', b: 'failed' });
    const second = await h.trigger({ dag_id: 'wfd', run_id: 'second', logical_date: new Date('2026-01-02T00:00:00Z') });
    await sleep(1500);
    expect(await h.taskStates('wfd', 'second')).to.deep.equal({ a: null, b: null });
    fs.writeFileSync(path.join(dir, 'b-may-pass'), '');
    const [b] = await rows<{ id: number }>(h.db, `select id from task_instance where dag_id = 'wfd' and run_id = 'first' and task_id = 'b'`);
    await clearTaskInstances(h.db, [b!.id]);
    expect(await h.waitForRun('wfd', 'first')).to.equal('success');
    expect(await h.waitForRun('wfd', second.run_id)).to.equal('success');
  });
});
