/**
 * Fairness of the scheduler's batched queries on real PostgreSQL and Redis: work that
 * is waiting (runs whose tasks wait for a full pool, DAGs at max_active_runs) must not
 * take every place in a batch and so keep unrelated DAGs from being scheduled at all.
 */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, waitFor } from '../support/sched-helpers.ts';

describe('scheduling: waiting work does not starve other DAGs', function () {
  this.timeout(60_000);

  describe('running runs', () => {
    let h: Harness;
    before(async () => {
      h = await createHarness();
      await h.db('slot_pool').insert({ pool: 'closed', slots: 0, description: 'never has a free slot' });
      h.writeDag('hog.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'hog', schedule: null, start_date: '2026-01-01', max_active_runs: 100 });
const blocked = new BashOperator({ task_id: 'blocked', dag, pool: 'closed', bash_command: 'true' });
blocked.rshift(new BashOperator({ task_id: 'waiting', dag, bash_command: 'true' }));
`);
      h.writeDag('victim.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'victim', schedule: null, start_date: '2026-01-01' });
new BashOperator({ task_id: 'work', dag, bash_command: 'true' });
`);
      expect(await h.processDags(), 'import errors').to.equal(0);
      await h.startScheduler();
      await h.startWorker();
    });
    after(async () => { await h.stop(); });

    // scheduler/schedule-running-runs.ts selects running runs that have an undecided task
    // "order by r.id limit 50" with no rotation: 50 older runs whose tasks merely wait
    // (for a full pool, a long upstream, depends_on_past) are picked on every pass, and a
    // newer run is never examined, so its first tasks are never scheduled. Airflow orders
    // by last_scheduling_decision (nulls first) so every running run gets its turn.
    it('a new run is scheduled while 60 older runs wait for a full pool', async () => {
      for (let i = 0; i < 60; i++) await h.trigger({ dag_id: 'hog', run_id: `hog_${i}` });
      await waitFor('60 hog runs running with their first task scheduled', async () => {
        const [r] = await rows<{ n: number }>(h.db, `select count(*)::int as n from task_instance ti join dag_run r on r.id = ti.dag_run_id
          where r.dag_id = 'hog' and r.state = 'running' and ti.task_id = 'blocked' and ti.state = 'scheduled'`);
        return r!.n >= 50; // at least the batch the scheduler examines
      });
      const run = await h.trigger({ dag_id: 'victim' });
      expect(await h.waitForRun('victim', run.run_id, 5_000)).to.equal('success');
    });
  });

  describe('DAGs at max_active_runs', () => {
    let h: Harness;
    before(async () => {
      h = await createHarness();
      await h.db('slot_pool').insert({ pool: 'closed', slots: 0, description: 'never has a free slot' });
      h.writeDag('hogs.ts', `
import { DAG, BashOperator } from 'updraft';
for (let i = 0; i < 20; i++) {
  const dag = new DAG({ dag_id: 'hog_' + i, schedule: '@daily', start_date: '2026-01-01', catchup: true, max_active_runs: 1 });
  new BashOperator({ task_id: 'blocked', dag, pool: 'closed', bash_command: 'true' });
}
`);
      // Due since today 00:00, after every hog's next interval (due since January).
      h.writeDag('late.ts', `
import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'late', schedule: '@daily', start_date: '2026-01-01', catchup: false });
new EmptyOperator({ task_id: 'noop', dag });
`);
      expect(await h.processDags(), 'import errors').to.equal(0);
      await h.startScheduler();
      await h.startWorker();
    });
    after(async () => { await h.stop(); });

    // scheduler/create-due-runs.ts claims due DAGs "order by next_dagrun_create_after,
    // dag_id limit 20" and then skips those at max_active_runs without moving them out
    // of the way: 20 DAGs stuck at their cap with older due dates fill every batch, and
    // no other DAG ever gets a scheduled run. Airflow leaves DAGs at max_active_runs out
    // of the query (DagModel.dags_needing_dagruns).
    it('a DAG gets its scheduled run while 20 DAGs with older due runs are at max_active_runs', async () => {
      await waitFor('20 hog DAGs at max_active_runs', async () => {
        const [r] = await rows<{ n: number }>(h.db, `select count(*)::int as n from dag_run where dag_id like 'hog_%' and state = 'running'`);
        return r!.n === 20;
      });
      const run = await waitFor('a scheduled run of "late"', async () => (await rows<{ run_id: string }>(h.db,
        `select run_id from dag_run where dag_id = 'late'`))[0], 5_000);
      expect(run.run_id).to.match(/^scheduled__/);
    });
  });
});
