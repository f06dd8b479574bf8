/**
 * The real `updraft` command (child processes) against one installation: listing DAGs
 * and import errors, triggering and listing runs, pause/unpause, task states,
 * `dags test`, `tasks test`, `tasks clear`, `backfill create`, `db migrate`.
 * Bad input and unreachable services are in cli-errors.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { loadConfig } from '../../core/config.ts';
import { openDatabase } from '../../core/db/connect.ts';
import { rows } from '../../core/transitions/sql.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import { Harness } from '../support/harness.ts';

const RUN_FIELDS = ['run_id', 'state', 'run_type', 'logical_date', 'data_interval_start', 'data_interval_end', 'start_date', 'end_date'];
const TI_FIELDS = ['dag_id', 'run_id', 'task_id', 'map_index', 'state', 'try_number', 'start_date', 'end_date'];

const FAIL_DAG = `dag_id: fail_dag
schedule: "@daily"
start_date: "2026-01-01"
tasks:
  - id: ok
    type: bash
    bash_command: echo fine
  - id: boom
    type: bash
    depends_on: ok
    bash_command: echo "about to fail"; exit 3
  - id: after
    type: empty
    depends_on: boom
`;

const CLEAR_DAG = `dag_id: clear_dag
tasks:
  - {id: extract_a, type: empty}
  - {id: extract_b, type: empty}
  - {id: load, type: empty, depends_on: [extract_a, extract_b]}
  - {id: report, type: empty, depends_on: load}
`;

const BACKFILL_DAG = `{"dag_id": "bf_dag", "schedule": "@daily", "start_date": "2026-01-01",
  "tasks": [{"id": "only", "type": "empty"}]}`;

/** Exit 0 with nothing on stderr; returns stdout. */
function ok(r: CliResult): string {
  expect(r.code, `exit code; stderr: ${r.stderr}; stdout: ${r.stdout}`).to.equal(0);
  expect(r.stderr.trim(), 'stderr').to.equal('');
  return r.stdout;
}

function json<T = Array<Record<string, unknown>>>(r: CliResult): T {
  const out = ok(r);
  try {
    return JSON.parse(out) as T;
  } catch {
    return expect.fail(`stdout is not JSON:\n${out}`);
  }
}

/** The header cells and data rows of a table printed by `-o table`. */
function table(out: string): { header: string[]; rows: string[][] } {
  const lines = out.trimEnd().split('\n');
  expect(lines.length, out).to.be.greaterThan(1);
  expect(lines[1], 'separator line').to.match(/^=+(=\+=+)*$/);
  const cells = (l: string) => l.split(' | ').map((c) => c.trim());
  return { header: cells(lines[0]!), rows: lines.slice(2).map(cells) };
}

describe('updraft CLI', function () {
  this.timeout(60_000);
  let h: Harness;

  const runCount = async (dagId: string) =>
    (await rows<{ n: number }>(h.db, 'select count(*)::int as n from dag_run where dag_id = ?', [dagId]))[0]!.n;

  before(async () => {
    h = await Harness.create();
    for (const f of ['example_bash_chain.ts', 'example_taskflow.ts', 'daily_revenue_pipeline.json']) h.copyExampleDag(f);
    h.writeDag('fail_dag.yaml', FAIL_DAG);
    h.writeDag('clear_dag.yaml', CLEAR_DAG);
    h.writeDag('bf_dag.json', BACKFILL_DAG);
    h.writeDag('broken.json', '{"dag_id": "broken", "tasks": [{"id": "a", "type": "nope"}]}');
    await h.processDags();
  });
  after(async () => { await h?.stop(); });

  describe('dags list and list-import-errors', () => {
    const DAG_IDS = ['bf_dag', 'clear_dag', 'daily_revenue_pipeline', 'example_bash_chain', 'example_taskflow', 'fail_dag'];

    it('dags list -o json: every loaded DAG with dag_id, is_paused, fileloc, schedule, next_dagrun', async () => {
      const list = json(await runCli(['dags', 'list', '-o', 'json'], h.env));
      expect(list.map((d) => d.dag_id)).to.deep.equal(DAG_IDS);
      for (const d of list) expect(d).to.include.all.keys('dag_id', 'is_paused', 'fileloc', 'schedule', 'next_dagrun');
      const byId = Object.fromEntries(list.map((d) => [d.dag_id as string, d]));
      const chain = byId.example_bash_chain!;
      expect(chain.fileloc).to.equal(`${h.dagsFolder}/example_bash_chain.ts`);
      expect(chain.is_paused).to.be.a('boolean');
      expect(chain.schedule).to.equal('0 0 * * *');
      // @daily, catchup false: the next run covers a recent complete day, starting at midnight UTC
      const next = new Date(chain.next_dagrun as string);
      expect(chain.next_dagrun).to.match(/T00:00:00(\.000)?Z$/);
      expect(Date.now() - next.getTime()).to.be.within(0, 3 * 86_400_000);
      expect(byId.example_taskflow!.next_dagrun, 'manual-only DAG').to.equal(null);
      expect(byId.fail_dag!.fileloc).to.equal(`${h.dagsFolder}/fail_dag.yaml`);
    });

    it('dags list prints a table with one row per DAG', async () => {
      const t = table(ok(await runCli(['dags', 'list'], h.env)));
      expect(t.header).to.include.members(['dag_id', 'is_paused', 'fileloc', 'schedule', 'next_dagrun']);
      const col = t.header.indexOf('dag_id');
      expect(t.rows.map((r) => r[col])).to.deep.equal(DAG_IDS);
      const row = t.rows.find((r) => r[col] === 'example_bash_chain')!;
      expect(row[t.header.indexOf('schedule')]).to.equal('0 0 * * *');
    });

    it('dags list-import-errors -o json: filename and error of a broken file', async () => {
      const list = json(await runCli(['dags', 'list-import-errors', '-o', 'json'], h.env));
      expect(list).to.have.length(1);
      expect(list[0]).to.include.all.keys('filename', 'error');
      expect(list[0]!.filename).to.equal(`${h.dagsFolder}/broken.json`);
      expect(list[0]!.error).to.include('unknown operator type(s) "nope" (task "a")');
    });

    it('dags list-import-errors prints a table', async () => {
      const t = table(ok(await runCli(['dags', 'list-import-errors'], h.env)));
      expect(t.header).to.include.members(['filename', 'error']);
      expect(t.rows).to.have.length(1);
      expect(t.rows[0]![t.header.indexOf('filename')]).to.match(/broken\.json$/);
      expect(t.rows[0]![t.header.indexOf('error')]).to.include('"nope" (task "a")');
    });
  });

  describe('dags trigger, list-runs, pause, unpause', () => {
    it('dags trigger -r -c -l -o json creates a manual run with that id, conf and logical date', async () => {
      const out = json(await runCli(['dags', 'trigger', 'example_bash_chain', '-r', 'my_run', '-c', '{"a":1}',
        '-l', '2026-01-05', '-o', 'json'], h.env));
      expect(out).to.have.length(1);
      expect(out[0]).to.include({
        run_id: 'my_run', run_type: 'manual', state: 'queued', logical_date: '2026-01-05T00:00:00.000Z',
        // a manual run of a @daily DAG on a tick covers the complete interval ending there
        data_interval_start: '2026-01-04T00:00:00.000Z', data_interval_end: '2026-01-05T00:00:00.000Z',
      });
      const [run] = await rows<{ conf: unknown; run_type: string }>(h.db,
        `select conf, run_type from dag_run where dag_id = 'example_bash_chain' and run_id = 'my_run'`);
      expect(run).to.deep.equal({ conf: { a: 1 }, run_type: 'manual' });
    });

    it('dags trigger without options prints the created run with an Airflow-style run id', async () => {
      const out = ok(await runCli(['dags', 'trigger', 'example_taskflow'], h.env));
      expect(out).to.match(/^Created run manual__\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?\+00:00 of DAG example_taskflow \(state queued\)\n$/);
      expect(await runCount('example_taskflow')).to.equal(1);
    });

    it('dags list-runs -o json shows the manual run with the conf-free run fields, newest first', async () => {
      await h.trigger({ dag_id: 'example_bash_chain', run_id: 'later_run', logical_date: new Date('2026-01-06T00:00:00Z') });
      const list = json(await runCli(['dags', 'list-runs', 'example_bash_chain', '-o', 'json'], h.env));
      expect(list.map((r) => r.run_id)).to.deep.equal(['later_run', 'my_run']);
      const mine = list[1]!;
      expect(mine).to.include.all.keys(...RUN_FIELDS);
      expect(mine).to.not.have.property('conf');
      expect(mine).to.include({
        run_id: 'my_run', state: 'queued', run_type: 'manual', logical_date: '2026-01-05T00:00:00.000Z',
        data_interval_start: '2026-01-04T00:00:00.000Z', data_interval_end: '2026-01-05T00:00:00.000Z',
        start_date: null, end_date: null,
      });
    });

    it('dags list-runs prints a table', async () => {
      const t = table(ok(await runCli(['dags', 'list-runs', 'example_bash_chain'], h.env)));
      expect(t.header).to.include.members(RUN_FIELDS);
      const runIds = t.rows.map((r) => r[t.header.indexOf('run_id')]);
      expect(runIds).to.deep.equal(['later_run', 'my_run']);
      expect(t.rows[1]![t.header.indexOf('run_type')]).to.equal('manual');
    });

    it('dags pause and unpause set is_paused', async () => {
      const paused = async () => (await rows<{ is_paused: boolean }>(h.db,
        `select is_paused from dag where dag_id = 'fail_dag'`))[0]!.is_paused;
      expect(ok(await runCli(['dags', 'pause', 'fail_dag'], h.env))).to.include('paused: true');
      expect(await paused()).to.equal(true);
      expect(ok(await runCli(['dags', 'unpause', 'fail_dag'], h.env))).to.include('paused: false');
      expect(await paused()).to.equal(false);
    });
  });

  describe('dags test, tasks states-for-dag-run, tasks test', () => {
    it('dags test runs the DAG in the foreground, prints each task\'s outcome and exits 0', async () => {
      const out = ok(await runCli(['dags', 'test', 'example_bash_chain', '2026-02-01'], h.env));
      for (const t of ['start', 'extract', 'transform', 'report']) expect(out).to.match(new RegExp(`^${t}: success \\(try 1`, 'm'));
      expect(out).to.include('[extract] extracting data for 2026-02-01');
      expect(out).to.include('[transform] hello: got 42 rows');
      expect(out).to.match(/DAG run finished: success\n$/);
      const [run] = await rows<{ state: string }>(h.db,
        `select state from dag_run where dag_id = 'example_bash_chain' and logical_date = '2026-02-01T00:00:00Z'`);
      expect(run?.state).to.equal('success');
    });

    it('tasks states-for-dag-run -o json lists every task of the run with its state and try', async () => {
      const [run] = await rows<{ run_id: string }>(h.db,
        `select run_id from dag_run where dag_id = 'example_bash_chain' and logical_date = '2026-02-01T00:00:00Z'`);
      const list = json(await runCli(['tasks', 'states-for-dag-run', 'example_bash_chain', run!.run_id, '-o', 'json'], h.env));
      expect(list.map((t) => t.task_id)).to.have.members(['start', 'extract', 'transform', 'report']);
      for (const t of list) {
        expect(t).to.have.all.keys(...TI_FIELDS);
        expect(t).to.include({ dag_id: 'example_bash_chain', run_id: run!.run_id, state: 'success', try_number: 1 });
        expect(new Date(t.start_date as string).getTime()).to.be.at.most(new Date(t.end_date as string).getTime());
      }
    });

    it('tasks states-for-dag-run shows "none" for tasks not yet scheduled', async () => {
      const list = json(await runCli(['tasks', 'states-for-dag-run', 'example_bash_chain', 'my_run', '-o', 'json'], h.env));
      expect(list).to.have.length(4);
      for (const t of list) expect(t).to.include({ state: 'none', try_number: 0, start_date: null, end_date: null });
    });

    it('dags test exits non-zero when the run fails, printing each task\'s outcome', async () => {
      const r = await runCli(['dags', 'test', 'fail_dag', '2026-02-01'], h.env);
      expect(r.code, r.stdout + r.stderr).to.not.equal(0);
      expect(r.code).to.not.equal(null);
      expect(r.stdout).to.match(/^ok: success \(try 1/m);
      expect(r.stdout).to.include('[boom] about to fail');
      expect(r.stdout).to.match(/^boom: failed \(try 1/m);
      expect(r.stdout).to.match(/DAG run finished: failed\n$/);
      expect(await h.taskStates('fail_dag', (await rows<{ run_id: string }>(h.db,
        `select run_id from dag_run where dag_id = 'fail_dag'`))[0]!.run_id)).to.deep.equal({ ok: 'success', boom: 'failed', after: 'upstream_failed' });
      // every task's outcome, including the one that never ran
      expect(r.stdout).to.match(/^after: upstream_failed/m);
    });

    describe('tasks test records nothing', () => {
      const counts = async () => (await rows<Record<string, number>>(h.db, `select
        (select count(*)::int from dag_run) as runs, (select count(*)::int from task_instance) as tis,
        (select count(*)::int from xcom) as xcoms, (select count(*)::int from task_log) as logs`))[0];

      it('runs one bash task with templates and prints its output and return value', async () => {
        const before = await counts();
        const out = ok(await runCli(['tasks', 'test', 'example_bash_chain', 'extract', '2026-03-01'], h.env));
        expect(out).to.include('[extract] extracting data for 2026-03-01');
        expect(out).to.include('Task extract succeeded; return value: "42"');
        expect(await counts()).to.deep.equal(before);
      });

      it('runs a TypeScript function task and prints its return value', async () => {
        const before = await counts();
        const out = ok(await runCli(['tasks', 'test', 'example_taskflow', 'numbers'], h.env));
        expect(out).to.include('Task numbers succeeded; return value: [1,2,3,4]');
        expect(await counts()).to.deep.equal(before);
      });

      it('exits non-zero when the task fails', async () => {
        const before = await counts();
        const r = await runCli(['tasks', 'test', 'fail_dag', 'boom', '2026-03-01'], h.env);
        expect(r.code).to.equal(1);
        expect(r.stdout).to.include('[boom] about to fail');
        expect(r.stdout).to.match(/Task boom failed: .*exit code 3/);
        expect(await counts()).to.deep.equal(before);
      });
    });
  });

  describe('tasks clear', () => {
    const RUN1 = 'manual__clear_1';
    const RUN2 = 'manual__clear_2';

    before(async () => {
      await h.trigger({ dag_id: 'clear_dag', run_id: RUN1, logical_date: new Date('2026-04-01T00:00:00Z') });
      await h.trigger({ dag_id: 'clear_dag', run_id: RUN2, logical_date: new Date('2026-04-02T00:00:00Z') });
    });

    /** Run 1 failed in extract_b; run 2 succeeded. */
    async function resetStates(): Promise<void> {
      const set = (run: string, task: string, state: string) => h.db.raw(`update task_instance set state = ?, try_number = 1,
        start_date = now(), end_date = now() where dag_id = 'clear_dag' and run_id = ? and task_id = ?`, [state, run, task]);
      for (const [task, state] of [['extract_a', 'success'], ['extract_b', 'failed'], ['load', 'upstream_failed'], ['report', 'upstream_failed']]) {
        await set(RUN1, task!, state!);
      }
      for (const task of ['extract_a', 'extract_b', 'load', 'report']) await set(RUN2, task, 'success');
      await h.db.raw(`update dag_run set state = case run_id when ? then 'failed' else 'success' end, end_date = now()
        where dag_id = 'clear_dag'`, [RUN1]);
    }
    const runState = async (run: string) => (await rows<{ state: string }>(h.db,
      `select state from dag_run where dag_id = 'clear_dag' and run_id = ?`, [run]))[0]!.state;

    it('-t REGEX -y clears the matching tasks in every run and leaves the others', async () => {
      await resetStates();
      const out = ok(await runCli(['tasks', 'clear', 'clear_dag', '-t', '^extract_', '-y'], h.env));
      expect(out).to.include('Cleared 4 task instance(s)');
      expect(await h.taskStates('clear_dag', RUN1)).to.deep.equal({ extract_a: null, extract_b: null, load: 'upstream_failed', report: 'upstream_failed' });
      expect(await h.taskStates('clear_dag', RUN2)).to.deep.equal({ extract_a: null, extract_b: null, load: 'success', report: 'success' });
      expect(await runState(RUN1)).to.equal('queued');
      expect(await runState(RUN2)).to.equal('queued');
    });

    it('--only-failed -y clears only failed and upstream_failed task instances', async () => {
      await resetStates();
      const out = ok(await runCli(['tasks', 'clear', 'clear_dag', '--only-failed', '-y'], h.env));
      expect(out).to.include('Cleared 3 task instance(s)');
      expect(out).to.not.include(RUN2);
      expect(await h.taskStates('clear_dag', RUN1)).to.deep.equal({ extract_a: 'success', extract_b: null, load: null, report: null });
      expect(await h.taskStates('clear_dag', RUN2)).to.deep.equal({ extract_a: 'success', extract_b: 'success', load: 'success', report: 'success' });
      expect(await runState(RUN1)).to.equal('queued');
      expect(await runState(RUN2)).to.equal('success');
    });

    it('without -y and without a terminal refuses, with one line on stderr, and clears nothing', async () => {
      await resetStates();
      const r = await runCli(['tasks', 'clear', 'clear_dag', '-t', 'load'], h.env);
      expect(r.code).to.equal(1);
      expect(r.stderr.split('\n').filter((l) => l.trim())).to.deep.equal(['updraft: refusing to clear without confirmation: pass -y']);
      expect(await h.taskStates('clear_dag', RUN1)).to.include({ load: 'upstream_failed' });
      expect(await h.taskStates('clear_dag', RUN2)).to.include({ load: 'success' });
      expect(await runState(RUN1)).to.equal('failed');
    });
  });

  describe('backfill create', () => {
    const bfRuns = () => rows<{ logical_date: Date; run_id: string; run_type: string; state: string; backfill_id: number | null }>(h.db,
      `select logical_date, run_id, run_type, state, backfill_id from dag_run where dag_id = 'bf_dag' order by logical_date`);

    it('creates one backfill run per interval in the range, recording max_active_runs', async () => {
      const out = ok(await runCli(['backfill', 'create', '--dag-id', 'bf_dag', '--from-date', '2026-01-01',
        '--to-date', '2026-01-03', '--max-active-runs', '2'], h.env));
      const m = /^Backfill (\d+) for bf_dag: 3 run\(s\) created, 0 to run again, 0 left as they are\n$/.exec(out);
      expect(m, out).to.not.equal(null);
      const runs = await bfRuns();
      expect(runs.map((r) => r.logical_date.toISOString())).to.deep.equal(
        ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z']);
      expect(runs.map((r) => r.run_id)).to.deep.equal(
        ['backfill__2026-01-01T00:00:00+00:00', 'backfill__2026-01-02T00:00:00+00:00', 'backfill__2026-01-03T00:00:00+00:00']);
      for (const r of runs) expect(r).to.include({ run_type: 'backfill', backfill_id: Number(m![1]) });
      const [bf] = await rows<{ max_active_runs: number; reprocess_behavior: string }>(h.db,
        'select max_active_runs, reprocess_behavior from backfill where id = ?', [Number(m![1])]);
      expect(bf).to.deep.equal({ max_active_runs: 2, reprocess_behavior: 'none' });
    });

    it('--reprocess-behavior failed runs failed runs again and leaves the others', async () => {
      await h.db.raw(`update dag_run set state = case logical_date when '2026-01-02T00:00:00Z' then 'failed' else 'success' end
        where dag_id = 'bf_dag'`);
      await h.db.raw(`update task_instance ti set state = case r.state when 'failed' then 'failed' else 'success' end, try_number = 1
        from dag_run r where r.id = ti.dag_run_id and r.dag_id = 'bf_dag'`);
      const out = ok(await runCli(['backfill', 'create', '--dag-id', 'bf_dag', '--from-date', '2026-01-01',
        '--to-date', '2026-01-04', '--reprocess-behavior', 'failed'], h.env));
      expect(out).to.match(/^Backfill \d+ for bf_dag: 1 run\(s\) created, 1 to run again, 2 left as they are\n$/);
      const runs = await bfRuns();
      expect(runs.map((r) => [r.logical_date.toISOString().slice(0, 10), r.state])).to.deep.equal([
        ['2026-01-01', 'success'], ['2026-01-02', 'queued'], ['2026-01-03', 'success'], ['2026-01-04', 'queued'],
      ]);
      const [ti] = await rows<{ state: string | null }>(h.db, `select ti.state from task_instance ti join dag_run r on r.id = ti.dag_run_id
        where r.dag_id = 'bf_dag' and r.logical_date = '2026-01-02T00:00:00Z'`);
      expect(ti?.state).to.equal(null);
    });
  });
});

describe('updraft db migrate', function () {
  this.timeout(60_000);
  const name = `updraft_cli_migrate_${randomBytes(4).toString('hex')}`;
  const admin = () => openDatabase(loadConfig().databaseUrl, { poolMax: 1 });
  let env: NodeJS.ProcessEnv;

  before(async () => {
    const db = admin();
    try { await db.raw(`create database ${name}`); } finally { await db.destroy(); }
    const url = new URL(loadConfig().databaseUrl);
    url.pathname = `/${name}`;
    env = { ...process.env, UPDRAFT_DATABASE_URL: url.toString(), UPDRAFT_LOG_LEVEL: 'silent' };
  });
  after(async () => {
    const db = admin();
    try { await db.raw(`drop database if exists ${name} with (force)`); } finally { await db.destroy(); }
  });

  it('migrates an empty database, then says it is up to date', async () => {
    expect(ok(await runCli(['db', 'migrate'], env))).to.match(/^applied: 001_initial\.ts/);
    expect(ok(await runCli(['db', 'migrate'], env))).to.equal('database is up to date\n');
    expect(ok(await runCli(['dags', 'list', '-o', 'json'], env))).to.equal('[]\n');
  });
});
