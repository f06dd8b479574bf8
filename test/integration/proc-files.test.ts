/**
 * DAG files as users write them: outside the project folder (the harness's DAGs folder
 * is in /tmp) they import 'updraft' in every file flavour, function tasks run in a real
 * `updraft worker` process; DAG-level arguments reach the serialized DAG compiled
 * (default_args merged into tasks, durations in seconds or ISO-8601 as milliseconds).
 */
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { DagSpec } from '../../core/dag/spec.ts';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, exitWithin, Procs, stuckTaskInstances, waitFor } from '../support/res-procs.ts';

async function latestSpec(h: Harness, dagId: string): Promise<DagSpec> {
  const [v] = await rows<{ serialized: DagSpec }>(h.db, `select v.serialized from dag d join dag_version v on v.id = d.latest_version_id
    where d.dag_id = ?`, [dagId]);
  if (!v) throw new Error(`no version of ${dagId}`);
  return v.serialized;
}

describe('DAG files outside the project folder import updraft', function () {
  this.timeout(40_000);
  let h: Harness;
  const procs = new Procs();

  before(async () => {
    h = await createHarness();
    expect(path.relative(path.resolve(import.meta.dirname, '../..'), h.dagsFolder).startsWith('..'), 'the DAGs folder is outside the project').to.equal(true);
    expect(h.dagsFolder.startsWith(os.tmpdir())).to.equal(true);
  });
  after(async () => {
    await procs.killAll();
    await h.stop();
  });

  it('.ts (with type imports), .mts, .mjs, ESM .js and CommonJS .js files all load', async () => {
    h.writeDag('outside_ts.ts', `
import { BashOperator, DAG, type TaskContext } from 'updraft';
const dag: DAG = new DAG({ dag_id: 'outside_ts', schedule: null });
const log = (ctx: TaskContext) => ctx.dag_id;
void log;
new BashOperator({ task_id: 'a', dag, bash_command: 'echo ts' });
`);
    h.writeDag('outside_mts.mts', `import { DAG, EmptyOperator } from 'updraft';\nconst dag = new DAG({ dag_id: 'outside_mts', schedule: null });\nnew EmptyOperator({ task_id: 'a', dag });\n`);
    h.writeDag('outside_mjs.mjs', `import { DAG, EmptyOperator } from 'updraft';\nconst dag = new DAG({ dag_id: 'outside_mjs', schedule: null });\nnew EmptyOperator({ task_id: 'a', dag });\n`);
    h.writeDag('outside_esm.js', `import { DAG, EmptyOperator } from 'updraft';\nconst dag = new DAG({ dag_id: 'outside_esm_js', schedule: null });\nnew EmptyOperator({ task_id: 'a', dag });\n`);
    h.writeDag('outside_cjs.js', `const { DAG, EmptyOperator } = require('updraft');\nconst dag = new DAG({ dag_id: 'outside_cjs_js', schedule: null });\nnew EmptyOperator({ task_id: 'a', dag });\n`);
    h.writeDag('nested/deeper/outside_nested.ts', `import { DAG, EmptyOperator } from 'updraft';\nconst dag = new DAG({ dag_id: 'outside_nested', schedule: null });\nnew EmptyOperator({ task_id: 'a', dag });\n`);
    const errorCount = await h.processDags();
    const errors = await rows(h.db, 'select filename, error from import_error');
    expect(errors).to.deep.equal([]);
    expect(errorCount).to.equal(0);
    const dags = await rows<{ dag_id: string }>(h.db, 'select dag_id from dag order by dag_id');
    expect(dags.map((d) => d.dag_id)).to.deep.equal(['outside_cjs_js', 'outside_esm_js', 'outside_mjs', 'outside_mts', 'outside_nested', 'outside_ts']);
  });

  it('function tasks from a DAG file in /tmp run in an `updraft worker` process, XCom passed between them', async () => {
    h.writeDag('outside_flow.ts', `
import { DAG, task } from 'updraft';
const dag = new DAG({ dag_id: 'outside_flow', schedule: null, params: { factor: 3 } });
const numbers = task({ task_id: 'numbers', dag }, () => [1, 2, 3]);
const total = task({ task_id: 'total', dag }, async (ctx) => {
  const xs = (await ctx.ti.xcom_pull({ task_ids: 'numbers' })) as number[];
  return xs.reduce((a, b) => a + b, 0) * Number(ctx.params.factor);
});
numbers.rshift(total);
`);
    expect(await h.processDags()).to.equal(0);
    await h.startScheduler();
    const worker = procs.spawnCli(['worker', '--shutdown-grace', '2', '--no-temporal'], h.env);
    const run = await h.trigger({ dag_id: 'outside_flow' });
    expect(await h.waitForRun('outside_flow', run.run_id, 20_000).catch((e: Error) => `${e.message}\n${worker.output()}`)).to.equal('success');
    const [x] = await rows<{ value: unknown }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'total'`, [run.id]);
    expect(x?.value).to.equal(18);
    const ran = await rows<{ pid: number }>(h.db, 'select distinct y.pid from task_instance_try y join task_instance t on t.id = y.ti_id where t.run_id = ?', [run.run_id]);
    expect(ran.map((r) => r.pid)).to.deep.equal([worker.pid]);
    worker.child.kill('SIGTERM');
    expect((await exitWithin(worker, 10_000)).code).to.equal(0);
    expect(await stuckTaskInstances(h)).to.deep.equal([]);
  });
});

describe('DAG-level arguments in the serialized DAG', function () {
  this.timeout(30_000);
  let h: Harness;

  before(async () => {
    h = await createHarness();
    h.writeDag('args.yaml', `
dag_id: args_yaml
description: YAML arguments
schedule: "0 6 * * *"
start_date: "2026-01-01"
catchup: false
tags: [finance, nightly]
params: { region: eu, limit: 10 }
max_active_runs: 2
max_active_tasks: 5
dagrun_timeout: PT2H
default_args:
  owner: data-team
  retries: 3
  retry_delay: PT30S
  retry_exponential_backoff: true
  max_retry_delay: PT10M
  execution_timeout: PT1H
  priority_weight: 7
  weight_rule: absolute
tasks:
  - id: extract
    type: bash
    bash_command: echo extract
  - id: load
    type: bash
    depends_on: [extract]
    bash_command: echo load
    retries: 0
    retry_delay: 90
    execution_timeout: "45"
    trigger_rule: all_done
`);
    h.writeDag('args.ts', `
import { BashOperator, DAG, EmptyOperator } from 'updraft';
const dag = new DAG({
  dag_id: 'args_ts', schedule: { hours: 6 }, start_date: '2026-02-01T00:00:00Z', catchup: true,
  tags: ['ts'], params: { nested: { a: [1, 2] } }, max_active_runs: 1, dagrun_timeout: { minutes: 90 },
  default_args: { retries: 2, retry_delay: { minutes: 5 }, execution_timeout: 600, pool: 'default_pool', queue: 'etl' },
});
const first = new EmptyOperator({ task_id: 'first', dag, retry_delay: 'PT1M' });
const second = new BashOperator({ task_id: 'second', dag, bash_command: 'echo {{ params.nested }}', retries: 5, queue: 'default' });
first.rshift(second);
`);
    expect(await h.processDags()).to.equal(0);
  });
  after(async () => { await h.stop(); });

  it('YAML: tags, params, caps, ISO-8601 and seconds durations, default_args merged under task arguments', async () => {
    const s = await latestSpec(h, 'args_yaml');
    expect({
      description: s.description, tags: s.tags, params: s.params, max_active_runs: s.max_active_runs,
      max_active_tasks: s.max_active_tasks, dagrun_timeout_ms: s.dagrun_timeout_ms, owners: s.owners,
      catchup: s.catchup, start_date: s.start_date, schedule: s.schedule,
    }).to.deep.equal({
      description: 'YAML arguments', tags: ['finance', 'nightly'], params: { region: 'eu', limit: 10 }, max_active_runs: 2,
      max_active_tasks: 5, dagrun_timeout_ms: 7_200_000, owners: 'data-team', catchup: false,
      start_date: '2026-01-01T00:00:00.000Z', schedule: { kind: 'cron', expression: '0 6 * * *', timezone: 'UTC' },
    });
    const pick = (id: string) => {
      const t = s.tasks.find((x) => x.task_id === id)!;
      return {
        retries: t.retries, retry_delay_ms: t.retry_delay_ms, retry_exponential_backoff: t.retry_exponential_backoff,
        max_retry_delay_ms: t.max_retry_delay_ms, execution_timeout_ms: t.execution_timeout_ms, trigger_rule: t.trigger_rule,
        priority_weight: t.priority_weight, weight_rule: t.weight_rule, upstream: t.upstream,
      };
    };
    expect(pick('extract')).to.deep.equal({
      retries: 3, retry_delay_ms: 30_000, retry_exponential_backoff: true, max_retry_delay_ms: 600_000,
      execution_timeout_ms: 3_600_000, trigger_rule: 'all_success', priority_weight: 7, weight_rule: 'absolute', upstream: [],
    });
    expect(pick('load')).to.deep.equal({
      retries: 0, retry_delay_ms: 90_000, retry_exponential_backoff: true, max_retry_delay_ms: 600_000,
      execution_timeout_ms: 45_000, trigger_rule: 'all_done', priority_weight: 7, weight_rule: 'absolute', upstream: ['extract'],
    });
  });

  it('YAML: the dag row carries the caps and tags, and task instances get max_tries from the merged retries', async () => {
    const [d] = await rows<{ max_active_runs: number; max_active_tasks: number; tags: string[]; owners: string }>(h.db,
      `select max_active_runs, max_active_tasks, tags, owners from dag where dag_id = 'args_yaml'`);
    expect(d).to.deep.equal({ max_active_runs: 2, max_active_tasks: 5, tags: ['finance', 'nightly'], owners: 'data-team' });
    const run = await h.trigger({ dag_id: 'args_yaml' });
    const tis = await rows<{ task_id: string; max_tries: number; priority_weight: number }>(h.db,
      'select task_id, max_tries, priority_weight from task_instance where dag_run_id = ? order by task_id', [run.id]);
    expect(tis).to.deep.equal([{ task_id: 'extract', max_tries: 3, priority_weight: 7 }, { task_id: 'load', max_tries: 0, priority_weight: 7 }]);
  });

  it('TypeScript: duration objects and seconds, nested params, per-task overrides of default_args', async () => {
    const s = await latestSpec(h, 'args_ts');
    expect({ tags: s.tags, params: s.params, max_active_runs: s.max_active_runs, dagrun_timeout_ms: s.dagrun_timeout_ms, catchup: s.catchup, schedule: s.schedule })
      .to.deep.equal({ tags: ['ts'], params: { nested: { a: [1, 2] } }, max_active_runs: 1, dagrun_timeout_ms: 5_400_000, catchup: true,
        schedule: { kind: 'interval', interval_ms: 21_600_000, timezone: 'UTC' } });
    const first = s.tasks.find((t) => t.task_id === 'first')!;
    const second = s.tasks.find((t) => t.task_id === 'second')!;
    expect([first.retries, first.retry_delay_ms, first.execution_timeout_ms, first.queue, first.pool])
      .to.deep.equal([2, 60_000, 600_000, 'etl', 'default_pool']);
    expect([second.retries, second.retry_delay_ms, second.execution_timeout_ms, second.queue])
      .to.deep.equal([5, 300_000, 600_000, 'default']);
    expect(second.args).to.deep.equal({ bash_command: 'echo {{ params.nested }}' });
    expect(s.tasks.map((t) => t.task_id), 'topological order').to.deep.equal(['first', 'second']);
  });

  it('a bad duration in default_args is an import error naming the task and the value', async () => {
    h.writeDag('bad_duration.yaml', `dag_id: bad_duration\ndefault_args: { retry_delay: "soon" }\ntasks:\n  - { id: a, type: empty }\n`);
    expect(await h.processDags()).to.equal(1);
    const [e] = await rows<{ error: string }>(h.db, `select error from import_error where filename like '%bad_duration.yaml'`);
    expect(e!.error).to.include('task "a"');
    expect(e!.error).to.include('"soon"');
    await waitFor('no DAG row for the broken file', async () => (await rows(h.db, `select 1 from dag where dag_id = 'bad_duration'`)).length === 0, 1000);
  });
});
