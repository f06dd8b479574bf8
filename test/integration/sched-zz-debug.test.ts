import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../../test/support/harness.ts';
import { sleep, utcMidnight } from '../../test/support/sched-helpers.ts';
describe('dbg', function () {
  this.timeout(60000);
  it('x', async () => {
    const h = await Harness.create({ env: { UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: 'true' } });
    await h.startScheduler(); await h.startWorker();
    h.writeDag('p.ts', `import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'p', schedule: '@daily', start_date: '${utcMidnight(2).toISOString()}', catchup: true });
new EmptyOperator({ task_id: 'noop', dag });`);
    await h.processDags();
    console.log(await rows(h.db, 'select is_paused, next_dagrun, next_dagrun_create_after from dag'));
    await sleep(500);
    await h.trigger({ dag_id: 'p', run_id: 'm' });
    await sleep(800);
    await h.db.raw('update dag set is_paused = false');
    await sleep(1500);
    console.log(await rows(h.db, 'select is_paused, next_dagrun, next_dagrun_create_after from dag'));
    console.log(await rows(h.db, 'select run_id, state from dag_run'));
    await h.stop();
  });
});
