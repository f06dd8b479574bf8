/**
 * `tasks clear` with Airflow's selection options on real PostgreSQL: upstream/downstream
 * relatives from each run's own DAG version, state filters applied after widening,
 * date ranges, every map index of a mapped task; through core and the real CLI, then
 * once end to end with a scheduler and worker running the cleared tasks again.
 */
import { expect } from 'chai';
import { clearTaskInstances, findClearTargets, type ClearFilter } from '../../core/transitions/clear.ts';
import { rows } from '../../core/transitions/sql.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness } from '../support/sched-helpers.ts';

// a -> b -> c -> d, x -> c, e alone
const DAG_V1 = `
import { DAG, BashOperator, chain } from 'updraft';
const dag = new DAG({ dag_id: 'rel', schedule: null, start_date: '2026-01-01' });
const t = (id: string) => new BashOperator({ task_id: id, dag, retries: id === 'b' ? 2 : 0, bash_command: 'true' });
const [a, b, c, d, x] = ['a', 'b', 'c', 'd', 'x'].map(t);
const e = t('e');
chain(a!, b!, c!, d!);
x!.rshift(c!);
`;
// Version 2 adds d -> e.
const DAG_V2 = `${DAG_V1}\nd!.rshift(e);\n`;

const R1 = 'manual__r1';
const R2 = 'manual__r2';
const R3 = 'manual__r3';

function ok(r: CliResult): string {
  expect(r.code, `exit code; stderr: ${r.stderr}; stdout: ${r.stdout}`).to.equal(0);
  expect(r.stderr.trim(), 'stderr').to.equal('');
  return r.stdout;
}

describe('clearing with upstream/downstream relatives and state filters', function () {
  this.timeout(60_000);
  let h: Harness;

  /** run_id → task_id → state, for one run. */
  const setStates = async (runId: string, states: Record<string, string | null>) => {
    for (const [task, state] of Object.entries(states)) {
      await h.db.raw(`update task_instance set state = ?, try_number = 1, max_tries = 0 where dag_id = 'rel' and run_id = ? and task_id = ?`,
        [state, runId, task]);
    }
  };
  /** Run 1: b failed below a; every other run all success. */
  const reset = async () => {
    await setStates(R1, { a: 'success', b: 'failed', c: 'upstream_failed', d: 'upstream_failed', x: 'success', e: 'success' });
    for (const r of [R2, R3]) await setStates(r, { a: 'success', b: 'success', c: 'success', d: 'success', x: 'success', e: 'success' });
  };
  const targets = async (f: Omit<ClearFilter, 'dag_id'>) =>
    (await findClearTargets(h.db, { dag_id: 'rel', ...f })).map((t) => `${t.run_id}:${t.task_id}${t.map_index >= 0 ? `[${t.map_index}]` : ''}`);
  const inRun = (run: string, ids: string[]) => ids.map((id) => `${run}:${id}`);

  before(async () => {
    h = await createHarness();
    h.writeDag('rel.ts', DAG_V1);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.trigger({ dag_id: 'rel', run_id: R1, logical_date: new Date('2026-05-01T00:00:00Z') });
    await h.trigger({ dag_id: 'rel', run_id: R2, logical_date: new Date('2026-05-02T00:00:00Z') });
    // Run 3 is of version 2, where d has a downstream task.
    h.writeDag('rel.ts', DAG_V2);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.trigger({ dag_id: 'rel', run_id: R3, logical_date: new Date('2026-05-03T00:00:00Z') });
    const versions = await rows<{ run_id: string; dag_version_id: number }>(h.db,
      `select run_id, dag_version_id from dag_run where dag_id = 'rel' order by run_id`);
    expect(versions[0]!.dag_version_id).to.equal(versions[1]!.dag_version_id);
    expect(versions[2]!.dag_version_id).to.not.equal(versions[0]!.dag_version_id);
  });
  after(async () => { await h.stop(); });

  // Core and CLI first, with no scheduler: the states they set stay put.
  describe('core: findClearTargets / clearTaskInstances', () => {
    it('downstream / upstream / both widen the matched tasks transitively, in every run', async () => {
      await reset();
      const f = { run_id: R2, task_regex: '^b$' };
      expect(await targets({ ...f, include_downstream: true })).to.deep.equal(inRun(R2, ['b', 'c', 'd']));
      expect(await targets({ ...f, include_upstream: true })).to.deep.equal(inRun(R2, ['a', 'b']));
      // x is upstream of c, but c came in as a downstream task: x stays out (as in Airflow).
      expect(await targets({ ...f, include_upstream: true, include_downstream: true })).to.deep.equal(inRun(R2, ['a', 'b', 'c', 'd']));
      expect(await targets({ run_id: R2, task_ids: ['c'], include_upstream: true })).to.deep.equal(inRun(R2, ['a', 'b', 'c', 'x']));
      expect(await targets({ task_regex: '^d$', include_upstream: true, end_date: new Date('2026-05-01T00:00:00Z') }))
        .to.deep.equal(inRun(R1, ['a', 'b', 'c', 'd', 'x']));
    });

    it('each run is widened with the graph of its own DAG version', async () => {
      await reset();
      expect(await targets({ task_regex: '^d$', include_downstream: true })).to.deep.equal([
        ...inRun(R1, ['d']), ...inRun(R2, ['d']), ...inRun(R3, ['d', 'e']),
      ]);
    });

    it('state filters apply after widening: only_failed below a healthy task, only_running, both (nothing)', async () => {
      await reset();
      expect(await targets({ task_regex: '^a$', include_downstream: true, only_failed: true })).to.deep.equal(inRun(R1, ['b', 'c', 'd']));
      expect(await targets({ task_regex: '^a$', only_failed: true })).to.deep.equal([]);
      await setStates(R2, { c: 'running' });
      expect(await targets({ only_running: true })).to.deep.equal(inRun(R2, ['c']));
      expect(await targets({ task_regex: '^b$', include_downstream: true, only_running: true })).to.deep.equal(inRun(R2, ['c']));
      expect(await targets({ only_running: true, only_failed: true })).to.deep.equal([]);
    });

    it('every map index of a selected mapped task is selected and cleared, with its retries given anew', async () => {
      await reset();
      // b in run 2 expanded to three map indexes: 0 succeeded, 1 and 2 failed.
      const [run] = await rows<{ id: number }>(h.db, `select id from dag_run where dag_id = 'rel' and run_id = ?`, [R2]);
      await h.db.raw(`update task_instance set map_index = 0, try_number = 1 where dag_run_id = ? and task_id = 'b'`, [run!.id]);
      await h.db.raw(`insert into task_instance (dag_run_id, dag_id, run_id, task_id, map_index, state, try_number, max_tries,
          operator, pool, pool_slots, queue, priority_weight, run_logical_date)
        select dag_run_id, dag_id, run_id, task_id, g, 'failed', 3, 2, operator, pool, pool_slots, queue, priority_weight, run_logical_date
        from task_instance, generate_series(1, 2) g where dag_run_id = ? and task_id = 'b'`, [run!.id]);
      try {
        expect(await targets({ run_id: R2, task_regex: '^a$', include_downstream: true }))
          .to.deep.equal(inRun(R2, ['a', 'b[0]', 'b[1]', 'b[2]', 'c', 'd']));
        expect(await targets({ run_id: R2, only_failed: true })).to.deep.equal(inRun(R2, ['b[1]', 'b[2]']));

        const selected = await findClearTargets(h.db, { dag_id: 'rel', run_id: R2, task_regex: '^b$' });
        expect(await clearTaskInstances(h.db, selected.map((t) => t.id))).to.equal(3);
        const tis = await rows<{ map_index: number; state: string | null; try_number: number; max_tries: number }>(h.db,
          `select map_index, state, try_number, max_tries from task_instance where dag_run_id = ? and task_id = 'b' order by map_index`, [run!.id]);
        // b has retries 2: max_tries = tries so far + 2.
        expect(tis).to.deep.equal([
          { map_index: 0, state: null, try_number: 1, max_tries: 3 },
          { map_index: 1, state: null, try_number: 3, max_tries: 5 },
          { map_index: 2, state: null, try_number: 3, max_tries: 5 },
        ]);
      } finally {
        await h.db.raw(`delete from task_instance where dag_run_id = ? and task_id = 'b' and map_index > 0`, [run!.id]);
        await h.db.raw(`update task_instance set map_index = -1 where dag_run_id = ? and task_id = 'b'`, [run!.id]);
      }
    });
  });

  describe('the CLI', () => {
    it('-t REGEX -d -y clears the matched tasks and everything downstream of them', async () => {
      await reset();
      const out = ok(await runCli(['tasks', 'clear', 'rel', '-t', '^c$', '-d', '-e', '2026-05-02', '-y'], h.env));
      expect(out).to.include(`  ${R1}  c  (upstream_failed)`);
      expect(out).to.include('Cleared 4 task instance(s)');
      expect(await h.taskStates('rel', R1)).to.include({ b: 'failed', c: null, d: null, x: 'success' });
      expect(await h.taskStates('rel', R2)).to.include({ b: 'success', c: null, d: null, x: 'success' });
      expect(await h.taskStates('rel', R3)).to.include({ c: 'success', d: 'success' });
    });

    it('--upstream with --start-date/--end-date clears the matched task and its upstream tasks in the runs in range', async () => {
      await reset();
      const out = ok(await runCli(['tasks', 'clear', 'rel', '--task-regex', '^c$', '--upstream',
        '--start-date', '2026-05-02', '--end-date', '2026-05-03', '--yes'], h.env));
      expect(out).to.include('Cleared 8 task instance(s)');
      expect(out).to.not.include(R1);
      for (const r of [R2, R3]) {
        expect(await h.taskStates('rel', r), r).to.deep.equal({ a: null, b: null, c: null, d: 'success', x: null, e: 'success' });
      }
    });

    it('-t ^a$ -d --only-failed clears the failed tasks below a healthy one; -r clears only running ones', async () => {
      await reset();
      const out = ok(await runCli(['tasks', 'clear', 'rel', '-t', '^a$', '-d', '--only-failed', '-y'], h.env));
      expect(out).to.include('Cleared 3 task instance(s)');
      expect(await h.taskStates('rel', R1)).to.deep.equal({ a: 'success', b: null, c: null, d: null, x: 'success', e: 'success' });

      await reset();
      await setStates(R3, { e: 'running' });
      expect(ok(await runCli(['tasks', 'clear', 'rel', '--only-running', '-y'], h.env))).to.include('Cleared 1 task instance(s)');
      expect(await h.taskStates('rel', R3)).to.include({ d: 'success', e: null });
      expect(ok(await runCli(['tasks', 'clear', 'rel', '-r', '-f', '-y'], h.env))).to.equal('No task instances to clear\n');
    });

    it('an invalid --task-regex is one line on stderr', async () => {
      const r = await runCli(['tasks', 'clear', 'rel', '-t', '(', '-y'], h.env);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim()).to.equal('updraft: task regex is not a valid regular expression: (');
    });
  });

  describe('with a scheduler and a worker', () => {
    it('end to end: after clearing b and its downstream tasks, only those run again and the run succeeds', async () => {
      await h.startScheduler();
      await h.startWorker();
      const day = '2026-06-01';
      const run = await h.trigger({ dag_id: 'rel', run_id: 'manual__e2e', logical_date: new Date(`${day}T00:00:00Z`) });
      expect(await h.waitForRun('rel', run.run_id)).to.equal('success');
      ok(await runCli(['tasks', 'clear', 'rel', '-t', '^b$', '-d', '-s', day, '-e', day, '-y'], h.env));
      expect(await h.waitForRun('rel', run.run_id)).to.equal('success');
      const tis = await rows<{ task_id: string; state: string; try_number: number }>(h.db,
        'select task_id, state, try_number from task_instance where dag_run_id = ? order by task_id', [run.id]);
      expect(Object.fromEntries(tis.map((t) => [t.task_id, [t.state, t.try_number]]))).to.deep.equal({
        a: ['success', 1], b: ['success', 2], c: ['success', 2], d: ['success', 2], e: ['success', 2], x: ['success', 1],
      });
    });
  });
});
