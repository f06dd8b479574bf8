/** A worker runs the function of the DAG version a run was created with, after the file changes. */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

describe('worker: DAG files that change', function () {
  this.timeout(60_000);
  let h: Harness;
  const dagFile = (value: number) => `
import { DAG, task } from 'updraft';
const dag = new DAG({ dag_id: 'reloaded', schedule: null });
task({ task_id: 'value', dag }, () => ${value});
const other = new DAG({ dag_id: 'reloaded_sibling', schedule: null });
task({ task_id: 'value', dag: other }, () => ${value * 10});
`;
  const xcom = async (runId: number) =>
    (await rows<{ value: unknown }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'value'`, [runId]))[0]?.value;

  before(async () => {
    h = await Harness.create();
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  it('runs the new function after the file changes, for every DAG the file defines', async () => {
    h.writeDag('reloaded.ts', dagFile(1));
    expect(await h.processDags()).to.equal(0);
    const first = await h.trigger({ dag_id: 'reloaded' });
    expect(await h.waitForRun('reloaded', first.run_id)).to.equal('success');
    expect(await xcom(first.id)).to.equal(1);

    h.writeDag('reloaded.ts', dagFile(2));
    expect(await h.processDags()).to.equal(0);
    const second = await h.trigger({ dag_id: 'reloaded' });
    expect(await h.waitForRun('reloaded', second.run_id)).to.equal('success');
    expect(await xcom(second.id), 'the new version of the function ran').to.equal(2);

    const sibling = await h.trigger({ dag_id: 'reloaded_sibling' });
    expect(await h.waitForRun('reloaded_sibling', sibling.run_id)).to.equal('success');
    expect(await xcom(sibling.id)).to.equal(20);
  });
});
