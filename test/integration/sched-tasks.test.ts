/**
 * Task outcomes end to end on real PostgreSQL and Redis, scheduler and worker in-process:
 * retries, fail-now and skip exceptions, execution_timeout killing the process group,
 * trigger rules, run state from leaves, depends_on_past and dagrun_timeout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, sleep, tries, waitFor } from '../support/sched-helpers.ts';

/** True while a process with this pid exists (a zombie awaiting its reaper counts as gone). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('scheduling: task outcomes, trigger rules, depends_on_past, timeouts', function () {
  this.timeout(60_000);
  let h: Harness;
  let dir: string;

  const dagFile = (dagId: string, body: string, dagArgs = '') => `
import { DAG, BashOperator, EmptyOperator, task, chain, TaskFailNow, TaskSkip } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2026-01-01', ${dagArgs} });
${body}
void BashOperator; void EmptyOperator; void task; void chain; void TaskFailNow; void TaskSkip;
`;

  const tiRow = async (dagId: string, runId: string, taskId: string) => (await rows<{ state: string | null; try_number: number; max_tries: number }>(h.db,
    'select state, try_number, max_tries from task_instance where dag_id = ? and run_id = ? and task_id = ?', [dagId, runId, taskId]))[0]!;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-sched-'));
    h = await createHarness();
    const counter = path.join(dir, 'flaky-count');
    const flakyCmd = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; echo "attempt $n"; [ "$n" -ge 3 ]`;
    const bgPidFile = path.join(dir, 'bg.pid');
    const longPidFile = path.join(dir, 'long.pid');
    h.writeDag('retries.ts', dagFile('retries', `
new BashOperator({ task_id: 'flaky', dag, retries: 2, retry_delay: 0.2, bash_command: ${JSON.stringify(flakyCmd)} });
const bad = new BashOperator({ task_id: 'always_fails', dag, retries: 1, retry_delay: 0.2, bash_command: 'exit 3' });
const after = new BashOperator({ task_id: 'after', dag, bash_command: 'true' });
bad.rshift(after);
`));
    h.writeDag('fail_now.ts', dagFile('fail_now', `
task({ task_id: 'give_up', dag, retries: 3, retry_delay: 0.2 }, () => { throw new TaskFailNow('bad input, retrying is pointless'); });
`));
    h.writeDag('skip_now.ts', dagFile('skip_now', `
const s = task({ task_id: 'skipper', dag, retries: 2, retry_delay: 0.2 }, () => { throw new TaskSkip('nothing to do'); });
const d1 = new BashOperator({ task_id: 'd1', dag, bash_command: 'true' });
const d2 = new BashOperator({ task_id: 'd2', dag, bash_command: 'true' });
const other = new BashOperator({ task_id: 'other', dag, bash_command: 'true' });
chain(s, d1, d2);
void other;
`));
    h.writeDag('exec_timeout.ts', dagFile('exec_timeout', `
new BashOperator({ task_id: 'slow', dag, execution_timeout: 1,
  bash_command: ${JSON.stringify(`sleep 30 & echo $! > ${bgPidFile}; sleep 30; wait`)} });
`));
    h.writeDag('rules.ts', dagFile('rules', `
const ok = new BashOperator({ task_id: 'ok', dag, bash_command: 'true' });
const bad = new BashOperator({ task_id: 'bad', dag, bash_command: 'exit 1' });
const skip1 = new BashOperator({ task_id: 'skip1', dag, bash_command: 'exit 99' });
const skip2 = new BashOperator({ task_id: 'skip2', dag, bash_command: 'exit 99' });
const slow = new BashOperator({ task_id: 'slow', dag, bash_command: 'sleep 2' });
const t = (id: string, rule: string, ups: BashOperator[]) => {
  const x = new BashOperator({ task_id: id, dag, trigger_rule: rule as 'all_success', bash_command: 'true' });
  for (const u of ups) u.rshift(x);
  return x;
};
t('all_done_t', 'all_done', [ok, bad]);
t('one_failed_t', 'one_failed', [bad, slow]);
t('nfmos_t', 'none_failed_min_one_success', [ok, skip1]);
t('all_skipped_t', 'all_skipped', [skip1, skip2]);
t('all_skipped_not', 'all_skipped', [ok, skip1]);
t('after_bad', 'all_success', [bad]);
t('after_skip', 'all_success', [skip1]);
`));
    h.writeDag('leaves.ts', dagFile('leaves', `
const bad = new BashOperator({ task_id: 'work', dag, bash_command: 'exit 1' });
const cleanup = new BashOperator({ task_id: 'cleanup', dag, trigger_rule: 'all_done', bash_command: 'true' });
bad.rshift(cleanup);
`));
    h.writeDag('dop.ts', dagFile('dop', `
new BashOperator({ task_id: 'gate', dag, depends_on_past: true, bash_command: 'exit {{ params.code }}' });
new BashOperator({ task_id: 'other', dag, bash_command: 'true' });
`, 'params: { code: 0 },'));
    h.writeDag('run_timeout.ts', dagFile('run_timeout', `
const long = new BashOperator({ task_id: 'long', dag, bash_command: ${JSON.stringify(`echo $$ > ${longPidFile}; sleep 20`)} });
const next = new BashOperator({ task_id: 'next', dag, bash_command: 'true' });
new BashOperator({ task_id: 'quick', dag, bash_command: 'true' });
long.rshift(next);
`, 'dagrun_timeout: 1,'));
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await h.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('retries: a task failing twice then succeeding with retries 2 ends success on try 3; retries 1 always failing ends failed after 2 tries, downstream upstream_failed', async () => {
    const counter = path.join(dir, 'flaky-count');
    const run = await h.trigger({ dag_id: 'retries' });
    expect(await h.waitForRun('retries', run.run_id)).to.equal('failed');
    expect(await h.taskStates('retries', run.run_id)).to.deep.equal({ flaky: 'success', always_fails: 'failed', after: 'upstream_failed' });

    expect(await tiRow('retries', run.run_id, 'flaky')).to.deep.equal({ state: 'success', try_number: 3, max_tries: 2 });
    const flaky = (await tries(h, 'retries', run.run_id)).filter((t) => t.task_id === 'flaky');
    expect(flaky.map((t) => t.try_number)).to.deep.equal([1, 2, 3]);
    expect(flaky.map((t) => t.state === 'success')).to.deep.equal([false, false, true]);
    expect(fs.readFileSync(counter, 'utf8').trim()).to.equal('3');
    for (let i = 1; i < 3; i++) {
      expect(flaky[i]!.start.getTime() - flaky[i - 1]!.end.getTime(), `retry_delay before try ${i + 1}`).to.be.at.least(190);
    }

    expect(await tiRow('retries', run.run_id, 'always_fails')).to.deep.equal({ state: 'failed', try_number: 2, max_tries: 1 });
    const bad = (await tries(h, 'retries', run.run_id)).filter((t) => t.task_id === 'always_fails');
    expect(bad.map((t) => t.try_number)).to.deep.equal([1, 2]);
    expect(bad[1]!.state).to.equal('failed');
    expect(bad[1]!.error).to.include('exit code 3');
    expect(await tiRow('retries', run.run_id, 'after')).to.include({ try_number: 0 });
  });

  it('TaskFailNow thrown from a task() function fails at once despite retries', async () => {
    const run = await h.trigger({ dag_id: 'fail_now' });
    expect(await h.waitForRun('fail_now', run.run_id)).to.equal('failed');
    expect(await tiRow('fail_now', run.run_id, 'give_up')).to.deep.equal({ state: 'failed', try_number: 1, max_tries: 3 });
    const t = await tries(h, 'fail_now', run.run_id);
    expect(t).to.have.length(1);
    expect(t[0]!.error).to.include('bad input, retrying is pointless');
  });

  it('TaskSkip skips the task and its all_success downstream tasks; the run succeeds', async () => {
    const run = await h.trigger({ dag_id: 'skip_now' });
    expect(await h.waitForRun('skip_now', run.run_id)).to.equal('success');
    expect(await h.taskStates('skip_now', run.run_id)).to.deep.equal({ skipper: 'skipped', d1: 'skipped', d2: 'skipped', other: 'success' });
    expect(await tiRow('skip_now', run.run_id, 'skipper')).to.include({ try_number: 1 });
    expect(await tiRow('skip_now', run.run_id, 'd1')).to.include({ try_number: 0 });
  });

  it('execution_timeout fails the task within seconds and kills the processes its command started', async () => {
    const pidFile = path.join(dir, 'bg.pid');
    const t0 = Date.now();
    const run = await h.trigger({ dag_id: 'exec_timeout' });
    expect(await h.waitForRun('exec_timeout', run.run_id, 15_000)).to.equal('failed');
    const elapsed = Date.now() - t0;
    expect(elapsed, 'ms from trigger to failed').to.be.within(900, 6_000);
    expect(await tiRow('exec_timeout', run.run_id, 'slow')).to.deep.equal({ state: 'failed', try_number: 1, max_tries: 0 });
    const [t] = await tries(h, 'exec_timeout', run.run_id);
    expect(t!.error).to.include('execution_timeout');
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    expect(pid).to.be.greaterThan(1);
    await waitFor(`background sleep (pid ${pid}) to be gone`, async () => !processAlive(pid), 5_000);
  });

  it('trigger rules end to end: all_done, one_failed (before the slow upstream ends), none_failed_min_one_success, all_skipped, upstream_failed', async () => {
    const run = await h.trigger({ dag_id: 'rules' });
    expect(await h.waitForRun('rules', run.run_id)).to.equal('failed'); // the leaf after_bad is upstream_failed
    expect(await h.taskStates('rules', run.run_id)).to.deep.equal({
      ok: 'success', bad: 'failed', skip1: 'skipped', skip2: 'skipped', slow: 'success',
      all_done_t: 'success', one_failed_t: 'success', nfmos_t: 'success', all_skipped_t: 'success',
      all_skipped_not: 'skipped', after_bad: 'upstream_failed', after_skip: 'skipped',
    });
    const t = await tries(h, 'rules', run.run_id);
    const oneFailed = t.find((x) => x.task_id === 'one_failed_t')!;
    const slow = t.find((x) => x.task_id === 'slow')!;
    expect(oneFailed.end.getTime(), 'one_failed_t finished while slow was still running').to.be.below(slow.end.getTime());
  });

  it('run state comes from the leaves: a failed task followed by an all_done leaf that succeeds gives a successful run', async () => {
    const run = await h.trigger({ dag_id: 'leaves' });
    expect(await h.waitForRun('leaves', run.run_id)).to.equal('success');
    expect(await h.taskStates('leaves', run.run_id)).to.deep.equal({ work: 'failed', cleanup: 'success' });
  });

  it('depends_on_past: a task whose previous instance failed does not run in the next run; it runs once the previous one is marked success', async () => {
    const first = await h.trigger({ dag_id: 'dop', run_id: 'first', logical_date: new Date('2026-01-01T00:00:00Z'), conf: { code: 1 } });
    expect(await h.waitForRun('dop', first.run_id)).to.equal('failed');
    expect(await h.taskStates('dop', first.run_id)).to.deep.equal({ gate: 'failed', other: 'success' });

    const second = await h.trigger({ dag_id: 'dop', run_id: 'second', logical_date: new Date('2026-01-02T00:00:00Z') });
    await waitFor('other to succeed in the second run', async () => (await h.taskStates('dop', second.run_id)).other === 'success');
    await sleep(1_500);
    expect(await h.taskStates('dop', second.run_id)).to.deep.equal({ gate: null, other: 'success' });
    const [r] = await rows<{ state: string }>(h.db, `select state from dag_run where dag_id = 'dop' and run_id = 'second'`);
    expect(r?.state).to.equal('running');

    // Marking the past instance success (as a user would) releases it.
    await h.db.raw(`update task_instance set state = 'success' where dag_id = 'dop' and run_id = 'first' and task_id = 'gate'`);
    expect(await h.waitForRun('dop', second.run_id)).to.equal('success');
    expect(await h.taskStates('dop', second.run_id)).to.deep.equal({ gate: 'success', other: 'success' });
  });

  it('dagrun_timeout: a run past its timeout fails, its unfinished tasks are skipped and the running command is stopped', async () => {
    const pidFile = path.join(dir, 'long.pid');
    const t0 = Date.now();
    const run = await h.trigger({ dag_id: 'run_timeout' });
    expect(await h.waitForRun('run_timeout', run.run_id, 15_000)).to.equal('failed');
    expect(Date.now() - t0, 'ms from trigger to failed').to.be.within(900, 6_000);
    expect(await h.taskStates('run_timeout', run.run_id)).to.deep.equal({ long: 'skipped', next: 'skipped', quick: 'success' });
    const pid = Number(await waitFor('the pid file', async () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim()));
    await waitFor(`the timed-out run's command (pid ${pid}) to be stopped`, async () => !processAlive(pid), 8_000);
    await sleep(700); // the stopped try must not overwrite the outcome
    expect(await h.taskStates('run_timeout', run.run_id)).to.deep.equal({ long: 'skipped', next: 'skipped', quick: 'success' });
    const [r] = await rows<{ state: string }>(h.db, `select state from dag_run where dag_id = 'run_timeout'`);
    expect(r?.state).to.equal('failed');
  });
});
