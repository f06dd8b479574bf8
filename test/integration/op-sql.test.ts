/**
 * The sql operator on real PostgreSQL: bound parameters, atomic replacement of `output`,
 * database errors, identifier validation and cancellation. End to end through the
 * dag-processor, scheduler and worker, plus direct executions for timing-sensitive cases.
 */
import { memoryCheckpoints } from '../../core/checkpoints/checkpoint.ts';
import { expect } from 'chai';
import type { TaskContext } from '../../core/authoring/context.ts';
import { getConnection } from '../../core/connections/get-connection.ts';
import { rows } from '../../core/transitions/sql.ts';
import { SqlOperator } from '../../operators/sql/sql-operator.ts';
import { Harness } from '../support/harness.ts';
import { errorOf } from '../support/error-of.ts';

/** A TaskContext for running an operator directly against the harness database. */
function directContext(h: Harness, signal: AbortSignal, lines: string[] = []): TaskContext {
  const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  return {
    dag_id: 'direct', task_id: 't', run_id: 'r', logical_date: null, data_interval_start: null, data_interval_end: null,
    params: {}, conf: {}, log, signal, template: {}, render: (s) => s, upstream: [], run_type: 'manual',
    dagSpec: { dag_id: 'direct', tasks: [] } as unknown as TaskContext['dagSpec'],
    skip: async () => { throw new Error('not used by the sql operator'); },
    triggerRun: async () => { throw new Error('not used by the sql operator'); },
    runState: async () => null,
    getConnection: (id) => getConnection(h.db, id, h.config.databaseUrl),
    checkpoint: memoryCheckpoints(h.db),
    ti: { dag_id: 'direct', task_id: 't', run_id: 'r', map_index: -1, try_number: 1, max_tries: 1, try_started_at: new Date(),
      xcom_pull: async () => null, xcom_push: async () => undefined },
  };
}

async function tryErrors(h: Harness, runId: string, taskId: string): Promise<string[]> {
  return (await rows<{ error: string | null }>(h.db, `select t.error from task_instance_try t join task_instance ti on ti.id = t.ti_id
    where ti.run_id = ? and ti.task_id = ? order by t.try_number`, [runId, taskId])).map((r) => r.error ?? '');
}

async function xcom(h: Harness, runDbId: number, taskId: string): Promise<unknown> {
  const [x] = await rows<{ value: unknown }>(h.db, `select value from xcom where dag_run_id = ? and task_id = ? and key = 'return_value'`, [runDbId, taskId]);
  return x?.value;
}

describe('sql operator', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await Harness.create();
    await h.db.raw(`create table events (day date, note text)`);
    await h.db.raw(`create schema analytics; create table analytics.keep (id int); insert into analytics.keep values (1), (2), (3)`);
    h.writeDag('sql_dag.json', JSON.stringify({
      dag_id: 'sql_dag', tasks: [
        { id: 'insert_positional', type: 'sql', query: 'insert into events (day, note) values ($1, $2), ($1, $3)',
          parameters: ['{{ ds }}', "it's; drop table events; --", 'second'] },
        { id: 'insert_named', type: 'sql', depends_on: 'insert_positional',
          sql: "insert into events (day, note) select %(day)s, %(note)s where '%(day)s' = '%(day)s' -- %(nope)s",
          parameters: { day: '${execution_date}', note: 'named' } },
        { id: 'select_rows', type: 'sql', depends_on: 'insert_named', query: "select * from events where day = '${execution_date}'" },
        { id: 'snapshot', type: 'sql', depends_on: 'select_rows',
          query: 'select note from events where day = $1::date;', parameters: ['{{ ds }}'], output: 'reports.events_{{ ds_nodash }}' },
        { id: 'all_events', type: 'sql', depends_on: 'snapshot', query: 'select * from events', output: 'reports.all_events' },
      ],
    }));
    h.writeDag('sql_fail.json', JSON.stringify({
      dag_id: 'sql_fail', tasks: [
        { id: 'bad_sql', type: 'sql', query: 'select no_such_column from events' },
        { id: 'bad_replace', type: 'sql', query: 'select 1 / (count(*) - count(*)) as id from analytics.keep', output: 'analytics.keep' },
        { id: 'unaffected', type: 'sql', query: 'select 1' },
        { id: 'unknown_conn', type: 'sql', conn_id: 'warehouse', query: 'select 1' },
      ],
    }));
    h.writeDag('sql_bad_output.json', JSON.stringify({
      dag_id: 'sql_bad_output', tasks: [{ id: 'x', type: 'sql', query: 'select 1', output: 'analytics.t; drop table x' }],
    }));
    await h.processDags();
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  it('binds list and named parameters, renders templates, returns row counts and writes output', async () => {
    const run = await h.trigger({ dag_id: 'sql_dag', logical_date: new Date('2026-11-20T00:00:00Z') });
    expect(await h.waitForRun('sql_dag', run.run_id)).to.equal('success');
    const events = await rows<{ day: string; note: string }>(h.db, `select to_char(day, 'YYYY-MM-DD') as day, note from events order by note`);
    expect(events).to.deep.equal([
      { day: '2026-11-20', note: "it's; drop table events; --" },
      { day: '2026-11-20', note: 'named' },
      { day: '2026-11-20', note: 'second' },
    ]);
    expect(await xcom(h, run.id, 'insert_positional')).to.equal(2);
    expect(await xcom(h, run.id, 'insert_named')).to.equal(1);
    expect(await xcom(h, run.id, 'select_rows')).to.equal(3);
    expect(await xcom(h, run.id, 'snapshot')).to.equal(3);
    const snap = await rows<{ note: string }>(h.db, 'select note from reports.events_20261120 order by note');
    expect(snap.map((r) => r.note)).to.deep.equal(["it's; drop table events; --", 'named', 'second']);
  });

  it('replaces the output table rather than appending to it', async () => {
    const run = await h.trigger({ dag_id: 'sql_dag', logical_date: new Date('2026-11-21T00:00:00Z') });
    expect(await h.waitForRun('sql_dag', run.run_id)).to.equal('success');
    const [c] = await rows<{ n: number }>(h.db, 'select count(*)::int as n from reports.all_events');
    expect(c!.n).to.equal(6); // both runs' 3 inserts, once each
    expect(await xcom(h, run.id, 'all_events')).to.equal(6);
    const tables = await rows<{ tablename: string }>(h.db, `select tablename from pg_tables where schemaname = 'reports' order by 1`);
    // no temporary table left behind
    expect(tables.map((t) => t.tablename)).to.deep.equal(['all_events', 'events_20261120', 'events_20261121']);
  });

  it('fails on a SQL error with the database\'s message, leaves the old output table intact, and other tasks run', async () => {
    const run = await h.trigger({ dag_id: 'sql_fail' });
    expect(await h.waitForRun('sql_fail', run.run_id)).to.equal('failed');
    expect(await h.taskStates('sql_fail', run.run_id)).to.deep.equal({
      bad_sql: 'failed', bad_replace: 'failed', unaffected: 'success', unknown_conn: 'failed',
    });
    expect((await tryErrors(h, run.run_id, 'bad_sql'))[0]).to.equal('column "no_such_column" does not exist');
    expect((await tryErrors(h, run.run_id, 'bad_replace'))[0]).to.equal('division by zero');
    expect((await tryErrors(h, run.run_id, 'unknown_conn'))[0]).to.equal('connection "warehouse" is not defined');
    const keep = await rows<{ id: number }>(h.db, 'select id from analytics.keep order by id');
    expect(keep.map((r) => r.id)).to.deep.equal([1, 2, 3]);
    const tables = await rows<{ tablename: string }>(h.db, `select tablename from pg_tables where schemaname = 'analytics'`);
    expect(tables.map((t) => t.tablename)).to.deep.equal(['keep']);
  });

  it('reports an output that is not a table name as an import error naming the argument', async () => {
    const [e] = await rows<{ error: string }>(h.db, `select error from import_error where filename like '%sql_bad_output.json'`);
    expect(e?.error).to.include('task "x" of DAG "sql_bad_output": output: not a table name');
    expect(errorOf(() => new SqlOperator({ task_id: 'y', query: 'select 1', output: 'a.b.c' }))).to.include('output: not a table name');
    expect(errorOf(() => new SqlOperator({ task_id: 'y', output: 't' }))).to.include('give the statement as "query" (or "sql")');
  });

  it('rejects a rendered output that is not a table name at run time, naming the argument', async () => {
    const op = new SqlOperator({ task_id: 't', query: 'select 1', output: '{{ params.t }}' });
    const err = await op.execute({ ...op.args, output: 'x"; drop table events; --' }, directContext(h, new AbortController().signal))
      .then(() => null, (e: Error) => e.message);
    expect(err).to.match(/^output: "x\\"; drop table events; --" is not a table name/);
  });

  it('a reader never sees the output table missing while it is replaced', async () => {
    const op = new SqlOperator({ task_id: 't', query: 'select g as n from generate_series(1, 2000) g', output: 'atomic.counted' });
    const ctx = directContext(h, new AbortController().signal);
    await op.execute(op.args, ctx);
    let stop = false;
    const seen: number[] = [];
    const reader = (async () => {
      while (!stop) {
        const [r] = await rows<{ n: number }>(h.db, 'select count(*)::int as n from atomic.counted');
        seen.push(r!.n);
      }
    })();
    try {
      for (let i = 0; i < 15; i++) expect(await op.execute(op.args, ctx)).to.equal(2000);
    } finally {
      stop = true;
    }
    await reader; // throws if a read ever failed with "relation does not exist"
    expect(seen.length).to.be.greaterThan(0);
    expect(new Set(seen)).to.deep.equal(new Set([2000]));
  });

  it('cancels the running statement when the task is aborted', async () => {
    const op = new SqlOperator({ task_id: 't', query: 'select pg_sleep(30)' });
    const controller = new AbortController();
    const started = Date.now();
    const running = op.execute(op.args, directContext(h, controller.signal));
    const sleeping = async () => (await rows<{ n: number }>(h.db,
      `select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(30)' and state = 'active'`))[0]!.n;
    while (await sleeping() === 0) await new Promise((r) => setTimeout(r, 20));
    controller.abort(new Error('execution_timeout'));
    const err = await running.then(() => null, (e: Error) => e.message);
    expect(err).to.equal('execution_timeout');
    expect(Date.now() - started).to.be.lessThan(5_000);
    expect(await sleeping()).to.equal(0);
  });
});
