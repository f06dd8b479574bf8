/**
 * Backfills and clearing on real PostgreSQL and Redis, scheduler and worker in-process:
 * backfill runs per interval with their own max_active_runs, reprocess behaviours, and
 * clearing failed task instances (retries given anew, the run re-queued and finished).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { UserInputError } from '../../core/errors.ts';
import { createBackfill } from '../../core/transitions/backfill.ts';
import { clearTaskInstances, findClearTargets } from '../../core/transitions/clear.ts';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, maxOverlap, sample, sleep, tries, waitFor } from '../support/sched-helpers.ts';

const DAY = 86_400_000;

interface RunRow {
  id: number; run_id: string; run_type: string; state: string; logical_date: Date;
  data_interval_start: Date; data_interval_end: Date; start_date: Date; end_date: Date;
  backfill_id: number | null; clear_number: number;
}

describe('scheduling: backfill and clearing', function () {
  this.timeout(60_000);
  let h: Harness;
  let dir: string;
  const count = (name: string) => {
    const f = path.join(dir, name);
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split('\n').length : 0;
  };
  const runsOf = (dagId: string) => rows<RunRow>(h.db, `select id, run_id, run_type, state, logical_date, data_interval_start,
    data_interval_end, start_date, end_date, backfill_id, clear_number from dag_run where dag_id = ? order by logical_date`, [dagId]);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-sched-bf-'));
    h = await createHarness();
    h.writeDag('bf.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'bf', schedule: '@daily', start_date: '2026-01-01', catchup: false });
new BashOperator({ task_id: 'work', dag, bash_command: ${JSON.stringify(`echo x >> ${dir}/bf-{{ ds }}; sleep 0.3`)} });
`);
    h.writeDag('rp.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'rp', schedule: '@daily', start_date: '2026-01-01', catchup: false, params: { fail: 0 } });
new BashOperator({ task_id: 'work', dag,
  bash_command: ${JSON.stringify(`echo x >> ${dir}/rp-{{ ds }}; [ "{{ params.fail }}" = "0" ] || [ -f ${dir}/fixed ]`)} });
`);
    const clrCmd = `n=$(cat ${dir}/clr-count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/clr-count; [ "$n" -ge 4 ]`;
    h.writeDag('clr.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'clr', schedule: null, start_date: '2026-01-01' });
const a = new BashOperator({ task_id: 'a', dag, retries: 1, retry_delay: 0.2, bash_command: ${JSON.stringify(clrCmd)} });
const b = new BashOperator({ task_id: 'b', dag, bash_command: 'true' });
new BashOperator({ task_id: 'c', dag, bash_command: 'true' });
a.rshift(b);
`);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await h.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a backfill creates a backfill run per interval in range, runs at most its own max_active_runs at once, all succeed', async () => {
    const sampler = sample(async () => (await rows<{ n: number }>(h.db,
      `select count(*)::int as n from dag_run where dag_id = 'bf' and backfill_id is not null and state = 'running'`))[0]!.n);
    const result = await createBackfill(h.db, {
      dag_id: 'bf', from_date: new Date('2026-02-01T00:00:00Z'), to_date: new Date('2026-02-06T00:00:00Z'),
      reprocess_behavior: 'none', max_active_runs: 2,
    });
    expect(result).to.deep.include({ created: 6, reprocessed: 0, skipped: 0 });
    await waitFor('all backfill runs finished', async () => {
      const rs = (await runsOf('bf')).filter((r) => r.backfill_id !== null);
      return rs.length === 6 && rs.every((r) => r.state === 'success' || r.state === 'failed');
    }, 30_000);
    const samples = await sampler.stop();
    const runs = (await runsOf('bf')).filter((r) => r.backfill_id === result.backfill_id);
    expect(runs.map((r) => r.run_id)).to.deep.equal([1, 2, 3, 4, 5, 6].map((d) => `backfill__2026-02-0${d}T00:00:00+00:00`));
    for (const r of runs) {
      expect(r.run_type, r.run_id).to.equal('backfill');
      expect(r.state, r.run_id).to.equal('success');
      expect(r.data_interval_start.toISOString(), r.run_id).to.equal(r.logical_date.toISOString());
      expect(r.data_interval_end.getTime() - r.data_interval_start.getTime(), r.run_id).to.equal(DAY);
    }
    expect(Math.max(...samples), 'backfill runs running at a sampled moment').to.equal(2);
    expect(maxOverlap(runs.map((r) => ({ start: r.start_date, end: r.end_date }))), 'backfill runs running at once (recorded times)').to.be.at.most(2);
    for (let d = 1; d <= 6; d++) expect(count(`bf-2026-02-0${d}`), `executions for 2026-02-0${d}`).to.equal(1);
    const [bf] = await rows<{ max_active_runs: number; reprocess_behavior: string }>(h.db,
      'select max_active_runs, reprocess_behavior from backfill where id = ?', [result.backfill_id]);
    expect(bf).to.deep.equal({ max_active_runs: 2, reprocess_behavior: 'none' });
  });

  it('a reversed backfill range or a non-positive max_active_runs is a UserInputError', async () => {
    for (const req of [
      { from_date: new Date('2026-02-06T00:00:00Z'), to_date: new Date('2026-02-01T00:00:00Z'), max_active_runs: 2 },
      { from_date: new Date('2026-02-01T00:00:00Z'), to_date: new Date('2026-02-06T00:00:00Z'), max_active_runs: 0 },
    ]) {
      let err: unknown = null;
      try { await createBackfill(h.db, { dag_id: 'bf', reprocess_behavior: 'none', ...req }); } catch (e) { err = e; }
      expect(err, JSON.stringify(req)).to.be.instanceOf(UserInputError);
    }
  });

  it('reprocess_behavior none / failed / completed decides which existing runs run again', async () => {
    const range = { dag_id: 'rp', from_date: new Date('2026-03-01T00:00:00Z'), to_date: new Date('2026-03-03T00:00:00Z'), max_active_runs: 5 };
    const ok = await h.trigger({ dag_id: 'rp', logical_date: new Date('2026-03-01T00:00:00Z') });
    const bad = await h.trigger({ dag_id: 'rp', logical_date: new Date('2026-03-02T00:00:00Z'), conf: { fail: 1 } });
    expect(await h.waitForRun('rp', ok.run_id)).to.equal('success');
    expect(await h.waitForRun('rp', bad.run_id)).to.equal('failed');
    const counts = () => [count('rp-2026-03-01'), count('rp-2026-03-02'), count('rp-2026-03-03')];
    // The scheduler's own run of the latest interval (catchup false) is outside the range.
    const inRange = async () => (await runsOf('rp')).filter((r) => r.logical_date >= range.from_date && r.logical_date <= range.to_date);
    const allFinished = () => waitFor('rp runs finished', async () => {
      const rs = await inRange();
      return rs.length === 3 && rs.every((r) => r.state === 'success' || r.state === 'failed') ? rs : null;
    });

    // none: only the missing interval gets a (backfill) run.
    const none = await createBackfill(h.db, { ...range, reprocess_behavior: 'none' });
    expect(none).to.deep.include({ created: 1, reprocessed: 0, skipped: 2 });
    let runs = await allFinished();
    expect(runs.map((r) => [r.run_id, r.run_type, r.state, r.clear_number])).to.deep.equal([
      [ok.run_id, 'manual', 'success', 0],
      [bad.run_id, 'manual', 'failed', 0],
      ['backfill__2026-03-03T00:00:00+00:00', 'backfill', 'success', 0],
    ]);
    expect(counts()).to.deep.equal([1, 1, 1]);

    // failed: only the failed run runs again (and now succeeds).
    fs.writeFileSync(path.join(dir, 'fixed'), '');
    const failed = await createBackfill(h.db, { ...range, reprocess_behavior: 'failed' });
    expect(failed).to.deep.include({ created: 0, reprocessed: 1, skipped: 2 });
    expect(await h.waitForRun('rp', bad.run_id)).to.equal('success');
    runs = await allFinished();
    expect(runs.map((r) => [r.run_id, r.state, r.clear_number])).to.deep.equal([
      [ok.run_id, 'success', 0],
      [bad.run_id, 'success', 1],
      ['backfill__2026-03-03T00:00:00+00:00', 'success', 0],
    ]);
    expect(runs[1]!.backfill_id).to.equal(failed.backfill_id);
    expect(counts()).to.deep.equal([1, 2, 1]);

    // completed: every finished run runs again.
    const completed = await createBackfill(h.db, { ...range, reprocess_behavior: 'completed' });
    expect(completed).to.deep.include({ created: 0, reprocessed: 3, skipped: 0 });
    for (const r of runs) expect(await h.waitForRun('rp', r.run_id), r.run_id).to.equal('success');
    runs = await allFinished();
    expect(runs.map((r) => r.clear_number)).to.deep.equal([1, 2, 1]);
    expect(counts()).to.deep.equal([2, 3, 2]);
  });

  it('clearing failed task instances gives their retries anew; the run goes back to queued and then finishes', async () => {
    const run = await h.trigger({ dag_id: 'clr' });
    expect(await h.waitForRun('clr', run.run_id)).to.equal('failed');
    expect(await h.taskStates('clr', run.run_id)).to.deep.equal({ a: 'failed', b: 'upstream_failed', c: 'success' });

    const failedOnly = await findClearTargets(h.db, { dag_id: 'clr', only_failed: true });
    expect(failedOnly.map((t) => [t.task_id, t.state])).to.deep.equal([['a', 'failed'], ['b', 'upstream_failed']]);
    expect((await findClearTargets(h.db, { dag_id: 'clr' })).map((t) => t.task_id)).to.deep.equal(['a', 'b', 'c']);
    expect((await findClearTargets(h.db, { dag_id: 'clr', task_regex: '^a$' })).map((t) => t.task_id)).to.deep.equal(['a']);

    // Paused, the cleared run must wait in queued where we can see it.
    await h.db.raw(`update dag set is_paused = true where dag_id = 'clr'`);
    expect(await clearTaskInstances(h.db, failedOnly.map((t) => t.id))).to.equal(2);
    await sleep(500);
    const [queued] = await rows<{ state: string; clear_number: number; end_date: Date | null }>(h.db,
      'select state, clear_number, end_date from dag_run where id = ?', [run.id]);
    expect(queued).to.deep.equal({ state: 'queued', clear_number: 1, end_date: null });
    const tis = await rows<{ task_id: string; state: string | null; try_number: number; max_tries: number }>(h.db,
      'select task_id, state, try_number, max_tries from task_instance where dag_run_id = ? order by task_id', [run.id]);
    expect(tis).to.deep.equal([
      { task_id: 'a', state: null, try_number: 2, max_tries: 3 },
      { task_id: 'b', state: null, try_number: 0, max_tries: 0 },
      { task_id: 'c', state: 'success', try_number: 1, max_tries: 0 },
    ]);

    await h.db.raw(`update dag set is_paused = false where dag_id = 'clr'`);
    // Try 3 fails and is retried (the new retry), try 4 succeeds.
    expect(await h.waitForRun('clr', run.run_id)).to.equal('success');
    expect(await h.taskStates('clr', run.run_id)).to.deep.equal({ a: 'success', b: 'success', c: 'success' });
    const aTries = (await tries(h, 'clr', run.run_id)).filter((t) => t.task_id === 'a');
    expect(aTries.map((t) => [t.try_number, t.state === 'success'])).to.deep.equal([[1, false], [2, false], [3, false], [4, true]]);
    const [c] = await rows<{ try_number: number }>(h.db, `select try_number from task_instance where dag_run_id = ? and task_id = 'c'`, [run.id]);
    expect(c?.try_number, 'c was not cleared, so it did not run again').to.equal(1);
  });
});
