/**
 * The dag-processor on real PostgreSQL: broken files are import errors naming the file
 * and the cause and never stop the other DAGs; the watcher makes a saved file live in
 * about a second (new DAG, new version, fixed, broken, deleted). Imports of 'updraft'
 * from outside the project, and DAG-level arguments in the serialized DAG, are tested
 * in proc-files.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, processesMentioning, sleep, stuckTaskInstances, waitFor } from '../support/res-procs.ts';

const goodTs = (dagId: string, echo = 'hello') => `
import { BashOperator, DAG } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2026-01-01' });
new BashOperator({ task_id: 'hello', dag, bash_command: 'echo ${echo}' });
`;

async function importErrors(h: Harness): Promise<Map<string, string>> {
  const list = await rows<{ filename: string; error: string }>(h.db, 'select filename, error from import_error order by filename');
  return new Map(list.map((e) => [path.basename(e.filename), e.error]));
}

describe('dag-processor: broken files are import errors and never stop the other DAGs', function () {
  this.timeout(60_000);
  let h: Harness;
  let errors: Map<string, string>;
  let errorCount: number;

  const broken: Record<string, string> = {
    'syntax_error.ts': `import { DAG } from 'updraft';\nconst dag = new DAG({ dag_id: 'syntax_dag' });\nconst broken = ;\n`,
    'throws.ts': `import { DAG } from 'updraft';\nnew DAG({ dag_id: 'throws_dag', schedule: null });\nthrow new Error('kaboom at import time');\n`,
    'hangs.ts': `import { DAG } from 'updraft';\nnew DAG({ dag_id: 'hangs_dag', schedule: null });\nwhile (true) {}\n`,
    'exits.ts': `import { DAG } from 'updraft';\nnew DAG({ dag_id: 'exits_dag', schedule: null });\nprocess.exit(3);\n`,
    'cycle.ts': `import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'cycle_dag', schedule: null });
const a = new EmptyOperator({ task_id: 'a', dag });
const b = new EmptyOperator({ task_id: 'b', dag });
a.rshift(b);
b.rshift(a);
`,
    'cycle.yaml': `dag_id: cycle_yaml
tasks:
  - { id: x, type: empty, depends_on: [z] }
  - { id: y, type: empty, depends_on: [x] }
  - { id: z, type: empty, depends_on: [y] }
`,
    'unknown_upstream.yaml': `dag_id: unknown_upstream
tasks:
  - { id: a, type: empty }
  - { id: b, type: empty, depends_on: [a, nope] }
`,
    'duplicate_task.ts': `import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'dup_task_dag', schedule: null });
new EmptyOperator({ task_id: 'same', dag });
new EmptyOperator({ task_id: 'same', dag });
`,
    'duplicate_task.json': `{"dag_id": "dup_task_json", "tasks": [{"id": "same", "type": "empty"}, {"id": "same", "type": "empty"}]}`,
    'bad_cron.yaml': `dag_id: bad_cron\nschedule: "0 25 * * *"\ntasks:\n  - { id: a, type: empty }\n`,
    'bad_cron.ts': `import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'bad_cron_ts', schedule: 'every day at noon' });
new EmptyOperator({ task_id: 'a', dag });
`,
    'bad_json.json': `{"dag_id": "bad_json", "tasks": [`,
    'bad_yaml.yaml': `dag_id: bad_yaml\ntasks: [\n  - id: a\n`,
    'no_dag.ts': `export const answer = 42;\n`,
  };

  before(async () => {
    h = await createHarness({ env: { UPDRAFT_DAG_FILE_PROCESSOR_TIMEOUT: '2' } });
    h.writeDag('good.ts', goodTs('good_dag'));
    h.writeDag('good.yaml', 'dag_id: good_yaml\nschedule: null\ntasks:\n  - { id: one, type: bash, bash_command: "echo one" }\n');
    h.copyExampleDag('daily_revenue_pipeline.json');
    for (const [name, text] of Object.entries(broken)) h.writeDag(name, text);
    errorCount = await h.processDags();
    errors = await importErrors(h);
  });
  after(async () => { await h.stop(); });

  it('stores one import error per broken file, with the full path as filename', async () => {
    const expected = Object.keys(broken);
    expect([...errors.keys()].sort()).to.deep.equal(expected.sort());
    expect(errorCount).to.equal(errors.size);
    const [row] = await rows<{ filename: string }>(h.db, `select filename from import_error where filename like '%throws.ts'`);
    expect(row!.filename).to.equal(path.join(h.dagsFolder, 'throws.ts'));
  });

  it('a TypeScript syntax error names the cause and where it is', () => {
    expect(errors.get('syntax_error.ts')).to.match(/Unexpected|Expected|SyntaxError|Transform failed/);
    expect(errors.get('syntax_error.ts')).to.include(':3:');
  });

  it('a file that throws at top level reports the thrown message; its DAG is not registered', async () => {
    expect(errors.get('throws.ts')).to.include('kaboom at import time');
    expect(await rows(h.db, `select 1 from dag where dag_id = 'throws_dag'`)).to.have.length(0);
  });

  it('a file that never finishes is stopped at UPDRAFT_DAG_FILE_PROCESSOR_TIMEOUT, and no parser process is left', () => {
    expect(errors.get('hangs.ts')).to.match(/took longer than 2 s/);
    expect(processesMentioning(path.join(h.dagsFolder, 'hangs.ts'))).to.deep.equal([]);
  });

  it('a file that exits the parser is an import error with the exit code', () => {
    expect(errors.get('exits.ts')).to.include('exit code 3');
  });

  it('a cycle names the tasks that loop (TypeScript and YAML)', () => {
    expect(errors.get('cycle.ts')).to.include('DAG "cycle_dag" has a cycle: a -> b -> a');
    expect(errors.get('cycle.yaml')).to.include('DAG "cycle_yaml" has a cycle: x -> y -> z -> x');
  });

  it('an unknown upstream id in a YAML DAG names the task and the missing id', () => {
    expect(errors.get('unknown_upstream.yaml')).to.include('task "b" depends on unknown task "nope"');
  });

  it('a duplicate task id names the id (TypeScript and JSON)', () => {
    expect(errors.get('duplicate_task.ts')).to.include('duplicate task_id "same"');
    expect(errors.get('duplicate_task.json')).to.include('duplicate task_id "same"');
  });

  it('an invalid cron schedule names the value and what is wrong', () => {
    expect(errors.get('bad_cron.yaml')).to.include('invalid schedule "0 25 * * *"');
    expect(errors.get('bad_cron.yaml')).to.match(/25 out of range 0-23/);
    expect(errors.get('bad_cron.ts')).to.include('invalid schedule "every day at noon"');
  });

  it('the seed pipeline loads beside the broken files', () => {
    expect(errors.has('daily_revenue_pipeline.json')).to.equal(false);
  });

  it('JSON and YAML syntax errors say so', () => {
    expect(errors.get('bad_json.json')).to.match(/^JSON syntax error: /);
    expect(errors.get('bad_yaml.yaml')).to.match(/^YAML syntax error: /);
  });

  it('a file with no DAG says so', () => {
    expect(errors.get('no_dag.ts')).to.match(/no DAG found/);
  });

  it('the good DAGs in the same folder load and run', async () => {
    const dags = await rows<{ dag_id: string }>(h.db, 'select dag_id from dag where is_active order by dag_id');
    expect(dags.map((d) => d.dag_id)).to.deep.equal(['daily_revenue_pipeline', 'good_dag', 'good_yaml']);
    await h.startScheduler();
    await h.startWorker();
    for (const dagId of ['good_dag', 'good_yaml']) {
      const run = await h.trigger({ dag_id: dagId });
      expect(await h.waitForRun(dagId, run.run_id)).to.equal('success');
    }
    expect(await stuckTaskInstances(h)).to.deep.equal([]);
  });
});

describe('dag-processor: watching the folder', function () {
  this.timeout(60_000);
  let h: Harness;
  const latencies: Record<string, number[]> = { new: [], changed: [] };

  /** Write a file and return how long until `check` sees it in the database. */
  async function timeToLive(name: string, text: string, check: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    h.writeDag(name, text);
    await waitFor(`${name} live`, check, 10_000, 10);
    return Date.now() - started;
  }
  const dagRow = async (dagId: string) => (await rows<{ is_active: boolean; latest_version_id: number; is_paused: boolean }>(h.db,
    'select is_active, latest_version_id, is_paused from dag where dag_id = ?', [dagId]))[0];
  const versions = async (dagId: string) => rows<{ id: number; version_number: number }>(h.db,
    'select id, version_number from dag_version where dag_id = ? order by version_number', [dagId]);
  const unpause = (dagId: string) => h.db.raw('update dag set is_paused = false where dag_id = ?', [dagId]);

  before(async () => {
    // New DAGs start paused here, so nothing runs before a test says so.
    h = await createHarness({ env: { UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: 'true' } });
    await h.startProcessor();
    await h.startScheduler();
    await h.startWorker();
    await sleep(500); // let the watcher settle before timing it
  });
  after(async () => {
    await h.stop();
    process.stdout.write(`      file-to-live latency (ms): new files ${latencies.new!.join(', ')}; changed files ${latencies.changed!.join(', ')}\n`);
  });

  it('a new file is a live DAG within about a second (asserted < 1500 ms)', async () => {
    for (const n of [1, 2, 3]) {
      const ms = await timeToLive(`fresh_${n}.ts`, goodTs(`fresh_${n}`), async () => Boolean(await dagRow(`fresh_${n}`)));
      latencies.new!.push(ms);
    }
    for (const ms of latencies.new!) expect(ms).to.be.below(1500);
  });

  it('a changed file is a new dag_version (version 2); runs created afterwards, manual and scheduled, use it', async () => {
    const start = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const source = (tasks: string[]) => `
import { BashOperator, DAG } from 'updraft';
const dag = new DAG({ dag_id: 'versioned', schedule: '@daily', start_date: '${start}', catchup: true });
for (const id of ${JSON.stringify(tasks)}) new BashOperator({ task_id: id, dag, bash_command: 'echo ' + id });
`;
    await timeToLive('versioned.ts', source(['one']), async () => Boolean(await dagRow('versioned')));
    const [v1] = await versions('versioned');
    expect(v1!.version_number).to.equal(1);
    const r1 = await h.trigger({ dag_id: 'versioned', logical_date: new Date('2026-01-05T00:00:00Z') });
    expect(r1.dag_version_id).to.equal(v1!.id);

    const ms = await timeToLive('versioned.ts', source(['one', 'two']), async () => (await versions('versioned')).length === 2);
    latencies.changed!.push(ms);
    expect(ms).to.be.below(1500);
    const [, v2] = await versions('versioned');
    expect(v2!.version_number).to.equal(2);
    expect((await dagRow('versioned'))!.latest_version_id).to.equal(v2!.id);

    const r2 = await h.trigger({ dag_id: 'versioned', logical_date: new Date('2026-01-06T00:00:00Z') });
    expect(r2.dag_version_id).to.equal(v2!.id);
    await unpause('versioned');
    await waitFor('3 scheduled catchup runs', async () => {
      const [c] = await rows<{ n: number }>(h.db, `select count(*)::int as n from dag_run where dag_id = 'versioned' and run_type = 'scheduled'`);
      return c!.n >= 3;
    }, 10_000);
    for (const r of [r1.run_id, r2.run_id]) expect(await h.waitForRun('versioned', r)).to.equal('success');
    const runs = await rows<{ run_id: string; run_type: string; dag_version_id: number }>(h.db,
      `select run_id, run_type, dag_version_id from dag_run where dag_id = 'versioned' order by logical_date`);
    for (const r of runs.filter((x) => x.run_type === 'scheduled')) {
      expect(r.dag_version_id, `${r.run_id} uses version 2`).to.equal(v2!.id);
      expect(await h.waitForRun('versioned', r.run_id)).to.equal('success');
      expect(await h.taskStates('versioned', r.run_id)).to.deep.equal({ one: 'success', two: 'success' });
    }
    // The run made before the change keeps its own version's tasks.
    expect(await h.taskStates('versioned', r1.run_id)).to.deep.equal({ one: 'success' });
    expect(await h.taskStates('versioned', r2.run_id)).to.deep.equal({ one: 'success', two: 'success' });
  });

  it('saving an unchanged file makes no new version', async () => {
    await timeToLive('steady.ts', goodTs('steady'), async () => Boolean(await dagRow('steady')));
    h.writeDag('steady.ts', goodTs('steady'));
    await sleep(1500);
    expect((await versions('steady')).map((v) => v.version_number)).to.deep.equal([1]);
  });

  it('fixing a broken file clears its import error and makes its DAG live', async () => {
    const errorOf = async () => (await importErrors(h)).get('fixme.ts');
    await timeToLive('fixme.ts', `import { DAG } from 'updraft';\nthrow new Error('not yet');\n`, async () => Boolean(await errorOf()));
    expect(await errorOf()).to.include('not yet');
    await timeToLive('fixme.ts', goodTs('fixme'), async () => Boolean(await dagRow('fixme')));
    await waitFor('import error cleared', async () => (await errorOf()) === undefined, 3000);
  });

  it('a file that becomes broken keeps its DAG at the last good version, and runs can still be triggered', async () => {
    await timeToLive('breaks.ts', goodTs('breaks'), async () => Boolean(await dagRow('breaks')));
    const before = (await dagRow('breaks'))!;
    await timeToLive('breaks.ts', `${goodTs('breaks')}\nthrow new Error('broken on purpose');\n`,
      async () => Boolean((await importErrors(h)).get('breaks.ts')));
    expect((await importErrors(h)).get('breaks.ts')).to.include('broken on purpose');
    const after = (await dagRow('breaks'))!;
    expect(after.is_active).to.equal(true);
    expect(after.latest_version_id).to.equal(before.latest_version_id);
    expect(await versions('breaks')).to.have.length(1);
    await unpause('breaks');
    const run = await h.trigger({ dag_id: 'breaks' });
    expect(run.dag_version_id).to.equal(before.latest_version_id);
    expect(await h.waitForRun('breaks', run.run_id)).to.equal('success');
  });

  it('deleting a file makes its DAG inactive; its runs and versions are kept; it can no longer be triggered', async () => {
    await timeToLive('doomed.ts', goodTs('doomed'), async () => Boolean(await dagRow('doomed')));
    await unpause('doomed');
    const run = await h.trigger({ dag_id: 'doomed' });
    expect(await h.waitForRun('doomed', run.run_id)).to.equal('success');
    fs.rmSync(path.join(h.dagsFolder, 'doomed.ts'));
    await waitFor('doomed inactive', async () => (await dagRow('doomed'))?.is_active === false, 3000, 10);
    expect(await rows(h.db, `select run_id from dag_run where dag_id = 'doomed'`)).to.have.length(1);
    expect(await versions('doomed')).to.have.length(1);
    let error: unknown = null;
    await h.trigger({ dag_id: 'doomed' }).catch((e: unknown) => { error = e; });
    expect(String(error)).to.match(/no longer in the DAGs folder/);
  });

  it('a second file defining an existing dag_id is an import error naming the first; the DAG stays with the first', async () => {
    await timeToLive('owner.ts', goodTs('owned', 'first'), async () => Boolean(await dagRow('owned')));
    const errorOf = async () => (await importErrors(h)).get('intruder.ts');
    await timeToLive('intruder.ts', goodTs('owned', 'second'), async () => Boolean(await errorOf()));
    expect(await errorOf()).to.include(`DAG "owned" is already defined in ${path.join(h.dagsFolder, 'owner.ts')}`);
    const [dag] = await rows<{ fileloc: string }>(h.db, `select fileloc from dag where dag_id = 'owned'`);
    expect(dag!.fileloc).to.equal(path.join(h.dagsFolder, 'owner.ts'));
    expect(await versions('owned')).to.have.length(1);
  });

  it('nothing is left queued or running', async () => {
    expect(await stuckTaskInstances(h)).to.deep.equal([]);
  });
});

describe('dag-processor: the same dag_id in two files parsed at the same time', function () {
  this.timeout(30_000);

  it('exactly one file owns the DAG, the other is an import error naming the owner (3 rounds)', async () => {
    // Big enough that storing it takes a while, so the two files' syncs overlap.
    const source = (echo: string) => `
import { BashOperator, DAG } from 'updraft';
const dag = new DAG({ dag_id: 'twin_dag', schedule: null, start_date: '2026-01-01' });
new BashOperator({ task_id: 'hello', dag, bash_command: 'echo ${echo}' });
for (let i = 0; i < 3000; i++) new BashOperator({ task_id: 'filler_' + i, dag, bash_command: 'echo ' + i + ' ${'x'.repeat(200)}' });
`;
    const outcomes: string[] = [];
    for (let round = 0; round < 3; round++) {
      const h = await createHarness();
      try {
        h.writeDag('twin_a.ts', source('a'));
        h.writeDag('twin_b.ts', source('b'));
        await h.processDags();
        const errs = await importErrors(h);
        const [dag] = await rows<{ fileloc: string }>(h.db, `select fileloc from dag where dag_id = 'twin_dag'`);
        const versions = await rows<{ fileloc: string }>(h.db, `select fileloc from dag_version where dag_id = 'twin_dag'`);
        outcomes.push(`round ${round}: import errors ${JSON.stringify([...errs.keys()])}, owner ${path.basename(dag!.fileloc)}, ` +
          `versions from ${JSON.stringify(versions.map((v) => path.basename(v.fileloc)))}`);
        if (errs.size !== 1) continue;
        const [loser, error] = [...errs][0]!;
        const owner = loser === 'twin_a.ts' ? 'twin_b.ts' : 'twin_a.ts';
        expect(dag!.fileloc).to.equal(path.join(h.dagsFolder, owner));
        expect(error).to.include(`DAG "twin_dag" is already defined in ${path.join(h.dagsFolder, owner)}`);
        expect(versions.map((v) => path.basename(v.fileloc))).to.deep.equal([owner]);
      } finally {
        await h.stop();
      }
    }
    expect(outcomes.filter((o) => !o.includes('import errors ["twin_')), 'rounds where both files were accepted').to.deep.equal([]);
  });
});

describe('dag-processor: files written while the processor starts', function () {
  this.timeout(20_000);
  let h: Harness;
  beforeEach(async () => { h = await createHarness(); });
  afterEach(async () => { await h.stop(); });

  it('a file written the moment start() resolves is picked up', async () => {
    await h.startProcessor();
    h.writeDag('early.ts', goodTs('early'));
    await waitFor('early live', async () => (await rows(h.db, `select 1 from dag where dag_id = 'early'`)).length === 1, 3000, 10);
  });

  it('a file written while the initial parse of the folder runs is picked up', async () => {
    h.writeDag('first.ts', goodTs('first'));
    const starting = h.startProcessor();
    await sleep(150); // the initial parse of first.ts takes several hundred ms
    h.writeDag('during.ts', goodTs('during'));
    await starting;
    await waitFor('first live', async () => (await rows(h.db, `select 1 from dag where dag_id = 'first'`)).length === 1, 3000, 10);
    await waitFor('during live', async () => (await rows(h.db, `select 1 from dag where dag_id = 'during'`)).length === 1, 3000, 10);
  });
});
