/** DAG-level on_success_callback / on_failure_callback, run by the dag-processor. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

async function waitForFile(file: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${file} was not written within ${timeoutMs} ms`);
}

describe('DAG-level callbacks', function () {
  this.timeout(60_000);
  let h: Harness;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-cb-'));

  before(async () => {
    h = await Harness.create();
    const dag = (id: string, command: string, callbacks: string) => `
import fs from 'node:fs';
import { BashOperator, DAG } from 'updraft';
const dag = new DAG({ dag_id: '${id}', schedule: null, ${callbacks} });
new BashOperator({ task_id: 'work', dag, bash_command: '${command}' });
`;
    const write = (name: string) => `(ctx) => { fs.writeFileSync(${JSON.stringify(path.join(out, name))}, JSON.stringify(ctx)); }`;
    h.writeDag('cb_ok.ts', dag('cb_ok', 'true', `on_success_callback: ${write('ok.json')}, on_failure_callback: ${write('ok-failure.json')}`));
    h.writeDag('cb_fail.ts', dag('cb_fail', 'exit 1', `on_failure_callback: ${write('fail.json')}`));
    h.writeDag('cb_throws.ts', dag('cb_throws', 'true', `on_success_callback: () => { throw new Error('callback broke'); }`));
    await h.startProcessor();
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await h.stop();
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('runs on_success_callback once with the run context after a successful run', async () => {
    const run = await h.trigger({ dag_id: 'cb_ok' });
    expect(await h.waitForRun('cb_ok', run.run_id)).to.equal('success');
    const ctx = JSON.parse(await waitForFile(path.join(out, 'ok.json'))) as Record<string, unknown>;
    expect(ctx).to.include({ dag_id: 'cb_ok', run_id: run.run_id, state: 'success' });
    expect(fs.existsSync(path.join(out, 'ok-failure.json')), 'the failure callback did not run').to.equal(false);
  });

  it('runs on_failure_callback after a failed run', async () => {
    const run = await h.trigger({ dag_id: 'cb_fail' });
    expect(await h.waitForRun('cb_fail', run.run_id)).to.equal('failed');
    const ctx = JSON.parse(await waitForFile(path.join(out, 'fail.json'))) as Record<string, unknown>;
    expect(ctx).to.include({ dag_id: 'cb_fail', state: 'failed' });
  });

  it('a callback that throws is logged and leaves the run as it was', async () => {
    const run = await h.trigger({ dag_id: 'cb_throws' });
    expect(await h.waitForRun('cb_throws', run.run_id)).to.equal('success');
    const deadline = Date.now() + 15_000;
    let pending = true;
    while (pending && Date.now() < deadline) {
      const [r] = await rows<{ callbacks_pending: boolean; state: string }>(h.db,
        'select callbacks_pending, state from dag_run where run_id = ? and dag_id = ?', [run.run_id, 'cb_throws']);
      pending = r!.callbacks_pending;
      expect(r!.state).to.equal('success');
      if (pending) await new Promise((res) => setTimeout(res, 100));
    }
    expect(pending, 'the callback was attempted and its flag cleared').to.equal(false);
  });
});
