/**
 * Two installations (two databases) used from one process must not see each other's
 * DAGs. The whole suite runs in one mocha process with a fresh database per harness,
 * where version ids repeat; a process-wide cache keyed by version id alone
 * (core/transitions/spec-cache.ts, before it was keyed by database) handed the second
 * installation the first one's DAG. Both installations here start their version ids
 * at the same high value, so this test shares ids with no other test file.
 */
import { expect } from 'chai';
import { Harness } from '../support/harness.ts';
import { stuckTaskInstances } from '../support/res-procs.ts';

const SHARED_VERSION_ID = 987_654;

const dag = (dagId: string, tasks: string[]) => `
import { BashOperator, DAG } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null });
for (const id of ${JSON.stringify(tasks)}) new BashOperator({ task_id: id, dag, bash_command: 'echo ' + id });
`;

describe('resilience: two installations in one process', function () {
  this.timeout(30_000);
  const harnesses: Harness[] = [];
  after(async () => { for (const h of harnesses) await h.stop(); });

  it('each runs its own DAG although both DAGs have the same dag_version id', async () => {
    for (const [dagId, tasks] of [['first_install', ['a', 'b']], ['second_install', ['x', 'y', 'z']]] as const) {
      const h = await Harness.create();
      harnesses.push(h);
      await h.db.raw(`select setval(pg_get_serial_sequence('dag_version', 'id'), ?, false)`, [SHARED_VERSION_ID]);
      h.writeDag(`${dagId}.ts`, dag(dagId, [...tasks]));
      expect(await h.processDags()).to.equal(0);
      await h.startScheduler();
      await h.startWorker();
      const run = await h.trigger({ dag_id: dagId });
      expect(run.dag_version_id).to.equal(SHARED_VERSION_ID);
      expect(await h.waitForRun(dagId, run.run_id, 10_000)).to.equal('success');
      expect(await h.taskStates(dagId, run.run_id)).to.deep.equal(Object.fromEntries(tasks.map((t) => [t, 'success'])));
      expect(await stuckTaskInstances(h)).to.deep.equal([]);
      await h.stop();
      harnesses.pop();
    }
  });
});
