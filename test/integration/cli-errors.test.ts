/**
 * Bad input and unreachable services: the real `updraft` command exits non-zero with
 * exactly one clear line on stderr (no stack traces, no noise on stdout), and changes
 * nothing.
 */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import { Harness } from '../support/harness.ts';

/** Non-zero exit, exactly one non-empty stderr line matching `expected`, and (unless told) nothing on stdout. */
function expectOneLineError(r: CliResult, expected: string | RegExp, opts: { stdoutEmpty?: boolean } = {}): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(r.code, `exit code (stderr: ${r.stderr})`).to.be.a('number').and.not.equal(0);
  expect(lines, `exactly one line on stderr, got:\n${r.stderr}`).to.have.length(1);
  if (typeof expected === 'string') expect(lines[0]).to.equal(expected);
  else expect(lines[0]).to.match(expected);
  if (opts.stdoutEmpty ?? true) expect(r.stdout, 'stdout').to.equal('');
}

describe('updraft CLI: bad input and unreachable services', function () {
  this.timeout(60_000);
  let h: Harness;

  const runCount = async (dagId: string) =>
    (await rows<{ n: number }>(h.db, 'select count(*)::int as n from dag_run where dag_id = ?', [dagId]))[0]!.n;

  before(async () => {
    h = await Harness.create();
    h.copyExampleDag('example_bash_chain.ts');
    h.writeDag('bf.yaml', 'dag_id: bf\nschedule: "@daily"\nstart_date: "2026-01-01"\ntasks:\n  - {id: a, type: empty}\n');
    await h.processDags();
  });
  after(async () => { await h?.stop(); });

  describe('unknown DAG', () => {
    const NOT_FOUND = /^updraft: DAG "no_such_dag" not found/;
    for (const args of [
      ['dags', 'trigger', 'no_such_dag'],
      ['dags', 'list-runs', 'no_such_dag'],
      ['dags', 'pause', 'no_such_dag'],
      ['dags', 'unpause', 'no_such_dag'],
      ['dags', 'test', 'no_such_dag'],
    ]) {
      it(`${args.slice(0, 2).join(' ')}`, async () => {
        expectOneLineError(await runCli(args, h.env), NOT_FOUND);
      });
    }
  });

  describe('dags trigger arguments', () => {
    it('-c with a JSON array is refused: conf must be an object', async () => {
      expectOneLineError(await runCli(['dags', 'trigger', 'example_bash_chain', '-c', '[1,2]'], h.env),
        /^updraft: conf must be a JSON object/);
      expect(await runCount('example_bash_chain')).to.equal(0);
    });

    it('-c with text that is not JSON is refused, quoting it', async () => {
      expectOneLineError(await runCli(['dags', 'trigger', 'example_bash_chain', '-c', 'not json'], h.env),
        'updraft: --conf is not valid JSON: not json');
      expect(await runCount('example_bash_chain')).to.equal(0);
    });

    it('-l with a word instead of a date is refused', async () => {
      expectOneLineError(await runCli(['dags', 'trigger', 'example_bash_chain', '-l', 'yesterday'], h.env),
        /^updraft: --logical-date: "yesterday" is not an ISO-8601 date/);
      expect(await runCount('example_bash_chain')).to.equal(0);
    });

    it('-l with a day that does not exist (Feb 30) is refused, not rolled over to March', async () => {
      const r = await runCli(['dags', 'trigger', 'example_bash_chain', '-l', '2026-02-30'], h.env);
      const created = await rows<{ run_id: string }>(h.db, `select run_id from dag_run where dag_id = 'example_bash_chain'`);
      // clean up so the other tests still see no runs
      await h.db.raw(`delete from dag_run where dag_id = 'example_bash_chain'`);
      expect(created.map((c) => c.run_id), 'runs created').to.deep.equal([]);
      expectOneLineError(r, /^updraft: --logical-date: "2026-02-30" is not an ISO-8601 date/);
    });
  });

  it('an unknown -o format is refused, naming the known ones', async () => {
    expectOneLineError(await runCli(['dags', 'list', '-o', 'yaml'], h.env), 'updraft: unknown output format "yaml" (use table or json)');
  });

  it('backfill create --reprocess-behavior bogus is refused, naming the valid values, and creates nothing', async () => {
    expectOneLineError(await runCli(['backfill', 'create', '--dag-id', 'bf', '--from-date', '2026-01-01',
      '--to-date', '2026-01-03', '--reprocess-behavior', 'bogus'], h.env),
    'updraft: --reprocess-behavior must be one of none, completed, failed, got "bogus"');
    expect(await runCount('bf')).to.equal(0);
    const [bf] = await rows<{ n: number }>(h.db, 'select count(*)::int as n from backfill');
    expect(bf!.n).to.equal(0);
  });

  it('tasks clear without -y and without a terminal is refused', async () => {
    const run = await h.trigger({ dag_id: 'bf', run_id: 'to_clear', logical_date: new Date('2026-01-10T00:00:00Z') });
    await h.db.raw(`update task_instance set state = 'failed', try_number = 1 where dag_run_id = ?`, [run.id]);
    const r = await runCli(['tasks', 'clear', 'bf'], h.env);
    expectOneLineError(r, 'updraft: refusing to clear without confirmation: pass -y', { stdoutEmpty: false });
    expect(await h.taskStates('bf', 'to_clear')).to.deep.equal({ a: 'failed' });
  });

  describe('unreachable services', () => {
    const DEAD_DB = 'postgres://updraft@127.0.0.1:1/nope';

    it('an unreachable database: one line naming it, nothing on stdout', async () => {
      const r = await runCli(['dags', 'list'], { ...h.env, UPDRAFT_DATABASE_URL: DEAD_DB });
      expectOneLineError(r, /^updraft: cannot reach the metadata database at postgres:\/\/updraft@127\.0\.0\.1:1\/nope: .*ECONNREFUSED/);
    });

    it('an unreachable database for dags test: one line, password redacted, nothing on stdout', async () => {
      const r = await runCli(['dags', 'test', 'example_bash_chain'],
        { ...h.env, UPDRAFT_DATABASE_URL: 'postgres://updraft:s3cret@127.0.0.1:1/nope' });
      expect(r.stderr + r.stdout).to.not.include('s3cret');
      expectOneLineError(r, /^updraft: cannot reach the metadata database at postgres:\/\/updraft:\*\*\*@127\.0\.0\.1:1\/nope: /);
    });

    it('an unreachable Redis for dags test: one line naming it, and no run created', async () => {
      const before = await runCount('example_bash_chain');
      const r = await runCli(['dags', 'test', 'example_bash_chain'], { ...h.env, UPDRAFT_REDIS_URL: 'redis://127.0.0.1:1' });
      expect(await runCount('example_bash_chain')).to.equal(before);
      expectOneLineError(r, /^updraft: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    });
  });
});
