/** trigger_dagrun: creates a run of another DAG, optionally waiting for it to end. */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

describe('trigger_dagrun operator', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await Harness.create();
    h.writeDag('parent.yaml', `
dag_id: parent
schedule: null
tasks:
  - { id: fire_and_forget, type: trigger_dagrun, trigger_dag_id: child_ok, conf: { who: '{{ run_id }}' } }
  - { id: wait_ok, type: trigger_dagrun, trigger_dag_id: child_ok, wait_for_completion: true, poke_interval: 0.2 }
  - { id: wait_bad, type: trigger_dagrun, trigger_dag_id: child_bad, wait_for_completion: true, poke_interval: 0.2 }
  - { id: again, type: trigger_dagrun, trigger_dag_id: child_ok, trigger_run_id: fixed_id, skip_when_already_exists: true, depends_on: [fire_and_forget] }
  - { id: again2, type: trigger_dagrun, trigger_dag_id: child_ok, trigger_run_id: fixed_id, skip_when_already_exists: true, depends_on: [again] }
`);
    h.writeDag('children.yaml', `
- dag_id: child_ok
  schedule: null
  tasks:
    - id: echo
      type: bash
      bash_command: echo "{{ dag_run.conf.get('who', 'nobody') }}"
- dag_id: child_bad
  schedule: null
  tasks: [{ id: fail, type: bash, bash_command: 'exit 1' }]
`);
    expect(await h.processDags()).to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h?.stop(); });

  it('triggers runs with templated conf, waits for them, fails when the run fails, skips a duplicate run id when asked', async () => {
    const run = await h.trigger({ dag_id: 'parent' });
    expect(await h.waitForRun('parent', run.run_id)).to.equal('failed');
    expect(await h.taskStates('parent', run.run_id)).to.deep.equal({
      fire_and_forget: 'success', wait_ok: 'success', wait_bad: 'failed', again: 'success', again2: 'skipped',
    });
    const [x] = await rows<{ value: string }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'fire_and_forget'`, [run.id]);
    const childRun = x!.value;
    expect(await h.waitForRun('child_ok', childRun)).to.equal('success');
    const [conf] = await rows<{ conf: Record<string, unknown>; triggered_by: string }>(h.db,
      'select conf, triggered_by from dag_run where dag_id = ? and run_id = ?', ['child_ok', childRun]);
    expect(conf?.conf).to.deep.equal({ who: run.run_id });
    expect(conf?.triggered_by).to.equal('parent.fire_and_forget');
    const [err] = await rows<{ error: string }>(h.db, `select t.error from task_instance_try t join task_instance ti on ti.id = t.ti_id
      where ti.run_id = ? and ti.task_id = 'wait_bad'`, [run.run_id]);
    expect(err?.error).to.match(/^triggered run manual__.* of DAG "child_bad" ended failed$/);
  });
});
