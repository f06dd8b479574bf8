/**
 * Workers dying and stopping, with the worker as a real `updraft worker` child process:
 * SIGKILL mid-task (the scheduler sees the worker's heartbeat stop, then retries or
 * fails the zombie), and SIGTERM (running tasks finish within the grace period, or are
 * handed back and run elsewhere; the process exits 0 by itself).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import {
  createHarness, exitWithin, isAlive, killGroup, Procs, readPid, stuckTaskInstances, taskInstance, tries, waitFor,
} from '../support/res-procs.ts';

const FAST = { UPDRAFT_ZOMBIE_THRESHOLD: '2', UPDRAFT_QUEUED_CHECK_AFTER: '1' };

/**
 * `work` writes its PID (= its process group, bash tasks run detached) to work.<try>.pid
 * and "try N" to tries.log, then sleeps `sleepFirst` seconds on try 1 only (so a retry
 * is quick); `after` runs downstream of it.
 */
function dagSource(dagId: string, dir: string, retries: number, sleepFirst: number): string {
  const cmd = `echo $$ > ${dir}/work.$AIRFLOW_CTX_TRY_NUMBER.pid; echo "try $AIRFLOW_CTX_TRY_NUMBER" >> ${dir}/tries.log; ` +
    `if [ "$AIRFLOW_CTX_TRY_NUMBER" = 1 ]; then sleep ${sleepFirst}; fi; echo "finished $AIRFLOW_CTX_TRY_NUMBER" >> ${dir}/tries.log`;
  return `
import { BashOperator, DAG } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2026-01-01', default_args: { retries: ${retries}, retry_delay: 0 } });
const work = new BashOperator({ task_id: 'work', dag, bash_command: ${JSON.stringify(cmd)} });
const after = new BashOperator({ task_id: 'after', dag, bash_command: 'echo after' });
work.rshift(after);
`;
}

describe('resilience: worker processes killed and stopped', function () {
  this.timeout(40_000);
  let h: Harness | null = null;
  let dir = '';
  const procs = new Procs();

  async function setup(dagId: string, retries: number, sleepFirst: number): Promise<Harness> {
    h = await createHarness({ env: FAST });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-sig-'));
    h.writeDag(`${dagId}.ts`, dagSource(dagId, dir, retries, sleepFirst));
    expect(await h.processDags()).to.equal(0);
    await h.startScheduler();
    return h;
  }

  /** Trigger and wait until `work` try 1 runs in the given worker process and its bash wrote its PID. */
  async function runningInChild(hh: Harness, dagId: string, workerPid: number): Promise<{ runId: string; tiId: number; bashPid: number }> {
    const run = await hh.trigger({ dag_id: dagId });
    const ti = await waitFor('work running with its PID file written', async () => {
      const t = await taskInstance(hh, dagId, run.run_id, 'work');
      return t?.state === 'running' && readPid(path.join(dir, 'work.1.pid')) ? t : null;
    }, 20_000);
    expect(ti.pid, 'the task runs in the worker child process').to.equal(workerPid);
    const bashPid = readPid(path.join(dir, 'work.1.pid'))!;
    procs.trackGroup(bashPid);
    return { runId: run.run_id, tiId: ti.id, bashPid };
  }

  afterEach(async () => {
    await procs.killAll();
    await h?.stop();
    h = null;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('SIGKILL mid-task with retries: 1: the zombie is retried (try 2) by a new worker and succeeds', async () => {
    const hh = await setup('sigkill_retry', 1, 5);
    const worker = procs.spawnCli(['worker', '--concurrency', '2', '--no-temporal'], hh.env);
    const { runId, tiId, bashPid } = await runningInChild(hh, 'sigkill_retry', worker.pid);

    worker.child.kill('SIGKILL');
    const exit = await exitWithin(worker, 5000);
    expect(exit.signal).to.equal('SIGKILL');
    // The task's bash process group outlives its worker: kill it, so nothing leaks.
    expect(isAlive(bashPid), 'the orphaned bash task is still running').to.equal(true);
    expect(killGroup(bashPid, 'SIGKILL')).to.equal(true);
    await waitFor('the orphaned bash task gone', () => !isAlive(bashPid), 5000);

    await hh.startWorker();
    expect(await hh.waitForRun('sigkill_retry', runId, 20_000)).to.equal('success');
    expect(await hh.taskStates('sigkill_retry', runId)).to.deep.equal({ work: 'success', after: 'success' });
    const t = await tries(hh, tiId);
    // The interrupted try is recorded as failed (or up_for_retry, the state it failed into).
    expect(t.map((x) => [x.try_number, x.state === 'up_for_retry' ? 'failed' : x.state])).to.deep.equal([[1, 'failed'], [2, 'success']]);
    expect(t[0]!.error).to.match(/zombie/);
    expect(t[0]!.pid).to.equal(worker.pid);
    expect(t[1]!.pid).to.equal(process.pid);
    expect(fs.readFileSync(path.join(dir, 'tries.log'), 'utf8').trim().split('\n')).to.deep.equal(['try 1', 'try 2', 'finished 2']);
    expect(await stuckTaskInstances(hh)).to.deep.equal([]);
  });

  it('SIGKILL mid-task with retries: 0: the zombie fails, its downstream is upstream_failed, the run fails', async () => {
    const hh = await setup('sigkill_fail', 0, 5);
    const worker = procs.spawnCli(['worker', '--no-temporal'], hh.env);
    const { runId, tiId, bashPid } = await runningInChild(hh, 'sigkill_fail', worker.pid);
    worker.child.kill('SIGKILL');
    await exitWithin(worker, 5000);
    expect(killGroup(bashPid, 'SIGKILL')).to.equal(true);
    await hh.startWorker();
    const started = Date.now();
    expect(await hh.waitForRun('sigkill_fail', runId, 20_000)).to.equal('failed');
    expect(Date.now() - started, 'detected within a few zombie thresholds').to.be.below(8000);
    expect(await hh.taskStates('sigkill_fail', runId)).to.deep.equal({ work: 'failed', after: 'upstream_failed' });
    const t = await tries(hh, tiId);
    expect(t.map((x) => [x.try_number, x.state])).to.deep.equal([[1, 'failed']]);
    expect(t[0]!.error).to.match(/zombie/);
    expect(await stuckTaskInstances(hh)).to.deep.equal([]);
  });

  it('SIGTERM with a long grace: the running task finishes first, no new task is taken, the process exits 0', async () => {
    const hh = await setup('sigterm_grace', 0, 3);
    const worker = procs.spawnCli(['worker', '--shutdown-grace', '10', '--no-temporal'], hh.env);
    const { runId, tiId } = await runningInChild(hh, 'sigterm_grace', worker.pid);
    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    const exit = await exitWithin(worker, 15_000);
    expect(exit.code, worker.output()).to.equal(0);
    const t = await tries(hh, tiId);
    expect(t.map((x) => [x.try_number, x.state, x.error]), 'the try that finished within the grace period').to.deep.equal([[1, 'success', null]]);
    expect(t[0]!.end_date!.getTime(), 'the task finished before the process exited').to.be.at.most(exit.at);
    expect(exit.at - signalled, 'the process waited for the task').to.be.above(1000);
    // `after` was queued when `work` finished, but a stopping worker takes no new task.
    expect((await taskInstance(hh, 'sigterm_grace', runId, 'after'))!.state).to.equal('queued');
    await hh.startWorker();
    expect(await hh.waitForRun('sigterm_grace', runId, 20_000)).to.equal('success');
    expect(await stuckTaskInstances(hh)).to.deep.equal([]);
  });

  it('SIGTERM with a short grace: the task is handed back (scheduled, try "restarting"), then runs to success elsewhere', async () => {
    const hh = await setup('sigterm_handback', 0, 20);
    const worker = procs.spawnCli(['worker', '--shutdown-grace', '1', '--no-temporal'], hh.env);
    const { runId, tiId, bashPid } = await runningInChild(hh, 'sigterm_handback', worker.pid);
    const before = (await taskInstance(hh, 'sigterm_handback', runId, 'work'))!;
    // Paused, the scheduler leaves the handed-back task in `scheduled` where we can see it.
    await hh.db.raw('update dag set is_paused = true where dag_id = ?', ['sigterm_handback']);
    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    const exit = await exitWithin(worker, 12_000);
    expect(exit.code, worker.output()).to.equal(0);
    expect(exit.at - signalled, 'exits soon after the grace period, not after the 20 s task').to.be.below(9000);
    expect(isAlive(bashPid), 'the task\'s bash was stopped').to.equal(false);

    const ti = (await taskInstance(hh, 'sigterm_handback', runId, 'work'))!;
    expect(ti.state).to.equal('scheduled');
    expect(ti.max_tries, 'a hand-back does not use up a retry').to.equal(before.max_tries + 1);
    expect((await tries(hh, tiId)).map((x) => [x.try_number, x.state])).to.deep.equal([[1, 'restarting']]);
    const [run] = await rows<{ state: string }>(hh.db, 'select state from dag_run where run_id = ?', [runId]);
    expect(run!.state).to.equal('running');

    await hh.db.raw('update dag set is_paused = false where dag_id = ?', ['sigterm_handback']);
    await hh.startWorker();
    expect(await hh.waitForRun('sigterm_handback', runId, 20_000)).to.equal('success');
    expect((await tries(hh, tiId)).map((x) => [x.try_number, x.state])).to.deep.equal([[1, 'restarting'], [2, 'success']]);
    expect(await hh.taskStates('sigterm_handback', runId)).to.deep.equal({ work: 'success', after: 'success' });
    expect(await stuckTaskInstances(hh)).to.deep.equal([]);
  });
});
