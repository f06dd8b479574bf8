/**
 * Sensors end to end on real PostgreSQL and Redis (dag-processor, scheduler and worker
 * in-process): each sensor in poke mode, timeouts and soft_fail, the external task
 * sensor against a second DAG's runs, and reschedule mode freeing worker slots.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { addConnection } from '../../core/connections/manage-connections.ts';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, sample, sleep, tries, waitFor } from '../support/sched-helpers.ts';

async function tiRow(h: Harness, dagId: string, runId: string, taskId: string) {
  const [ti] = await rows<{ state: string | null; try_number: number; start_date: Date | null; end_date: Date | null }>(h.db,
    'select state, try_number, start_date, end_date from task_instance where dag_id = ? and run_id = ? and task_id = ?', [dagId, runId, taskId]);
  return ti!;
}

async function tryErrors(h: Harness, dagId: string, runId: string, taskId: string): Promise<string[]> {
  return (await tries(h, dagId, runId)).filter((t) => t.task_id === taskId).map((t) => t.error ?? '');
}

describe('sensors (poke mode)', function () {
  this.timeout(60_000);
  let h: Harness;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-sensors-'));
    fs.mkdirSync(path.join(dir, 'base'));
    fs.writeFileSync(path.join(dir, 'base', 'ready.txt'), 'x');
    fs.mkdirSync(path.join(dir, 'tree', 'a', 'b'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'tree', 'a', 'b', 'c.json'), '{}');
    fs.mkdirSync(path.join(dir, 'emptydir', 'sub'), { recursive: true });
    h = await createHarness();
    await h.db.raw('create table ready_flags (day text, ok boolean)');
    await addConnection(h.db, { conn_id: 'files', conn_type: 'fs', description: null, host: null, schema: null, login: null,
      password: null, port: null, extra: JSON.stringify({ path: dir }) }, h.config.fernetKey);
    const fast = { poke_interval: 0.05, timeout: 20 };
    h.writeDag('sensors_poke.json', JSON.stringify({
      dag_id: 'sensors_poke', tasks: [
        { id: 'file_wait', type: 'file_sensor', filepath: `${dir}/incoming/{{ ds_nodash }}_*.csv`, ...fast },
        { id: 'sql_wait', type: 'sql_sensor', sql: 'select count(*) from ready_flags where day = %(day)s and ok',
          parameters: { day: '{{ ds }}' }, ...fast },
        { id: 'delta_wait', type: 'time_delta_sensor', delta: 0.4, ...fast },
        { id: 'at_wait', type: 'date_time_sensor', target_time: "{{ dag_run.conf['at'] }}", ...fast },
        { id: 'after_all', type: 'bash', bash_command: 'echo done', depends_on: ['file_wait', 'sql_wait', 'delta_wait', 'at_wait'] },
      ],
    }));
    h.writeDag('delta_only.json', JSON.stringify({
      dag_id: 'delta_only', tasks: [{ id: 'delta_wait', type: 'time_delta_sensor', delta: 0.4, poke_interval: 0.05 }],
    }));
    const quick = { poke_interval: 0.05, timeout: 0.3, retries: 2, retry_delay: 0.1 };
    h.writeDag('sensors_edges.json', JSON.stringify({
      dag_id: 'sensors_edges', tasks: [
        { id: 'times_out', type: 'file_sensor', filepath: `${dir}/never.txt`, ...quick },
        { id: 'soft', type: 'file_sensor', filepath: `${dir}/never.txt`, soft_fail: true, ...quick },
        { id: 'empty_dir', type: 'file_sensor', filepath: `${dir}/emptydir`, soft_fail: true, ...quick },
        { id: 'sql_empty', type: 'sql_sensor', sql: 'select 1 where false', fail_on_empty: true, ...quick },
        { id: 'sql_false', type: 'sql_sensor', sql: "select ''", ...quick },
        { id: 'via_conn', type: 'file_sensor', fs_conn_id: 'files', filepath: 'base/ready.txt', ...quick },
        { id: 'recursive_glob', type: 'file_sensor', filepath: `${dir}/tree/**/*.json`, recursive: true, ...quick },
        { id: 'flat_glob', type: 'file_sensor', filepath: `${dir}/tree/**/*.json`, soft_fail: true, ...quick },
        { id: 'dir_with_file', type: 'file_sensor', filepath: `${dir}/tree`, ...quick },
      ],
    }));
    h.writeDag('upstream_dag.yaml', `
dag_id: upstream_dag
schedule: null
tasks:
  - { id: extract, type: bash, bash_command: 'sleep 0.3; echo extracted' }
  - { id: broken, type: bash, bash_command: 'exit 1' }
`);
    // The downstream run is an hour after the upstream one: execution_delta / execution_date_fn.
    h.writeDag('downstream_dag.ts', `
import { DAG, ExternalTaskSensor } from 'updraft';
const dag = new DAG({ dag_id: 'downstream_dag', schedule: null, start_date: '2026-01-01' });
const common = { dag, external_dag_id: 'upstream_dag', poke_interval: 0.1, timeout: 20 };
new ExternalTaskSensor({ ...common, task_id: 'wait_task', external_task_id: 'extract', execution_delta: 3600 });
new ExternalTaskSensor({ ...common, task_id: 'wait_fn', external_task_ids: ['extract'],
  execution_date_fn: (d) => new Date(d.getTime() - 3600_000) });
new ExternalTaskSensor({ ...common, task_id: 'wait_broken', external_task_id: 'broken', execution_delta: 'PT1H',
  failed_states: ['failed'], retries: 3 });
new ExternalTaskSensor({ ...common, task_id: 'wait_broken_soft', external_task_id: 'broken', execution_delta: 'PT1H',
  failed_states: ['failed'], soft_fail: true });
new ExternalTaskSensor({ ...common, task_id: 'wait_run', execution_delta: { hours: 1 }, failed_states: ['failed'] });
new ExternalTaskSensor({ ...common, task_id: 'wait_same_date', external_task_id: 'extract', timeout: 1, soft_fail: true });
new ExternalTaskSensor({ ...common, task_id: 'no_such_dag', external_dag_id: 'nope', check_existence: true });
`);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await h.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('file, sql, time_delta and date_time sensors wait for their condition, then succeed', async () => {
    const logical = new Date('2026-11-20T00:00:00Z');
    const at = new Date(Date.now() + 1500);
    const run = await h.trigger({ dag_id: 'sensors_poke', logical_date: logical, conf: { at: at.toISOString() } });
    // The file and sql sensors keep poking (running) while nothing is there.
    await waitFor('file and sql sensors running', async () => {
      const s = await h.taskStates('sensors_poke', run.run_id);
      return s.file_wait === 'running' && s.sql_wait === 'running';
    });
    await sleep(400);
    // A wrong file name and a row that is not ok do not satisfy them.
    fs.mkdirSync(path.join(dir, 'incoming'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'incoming', '20261121_orders.csv'), 'x');
    await h.db.raw(`insert into ready_flags values ('2026-11-20', false)`);
    await sleep(300);
    expect(await h.taskStates('sensors_poke', run.run_id)).to.include({ file_wait: 'running', sql_wait: 'running', after_all: null });
    fs.writeFileSync(path.join(dir, 'incoming', '20261120_orders.csv'), 'x');
    await h.db.raw(`insert into ready_flags values ('2026-11-20', true)`);
    expect(await h.waitForRun('sensors_poke', run.run_id)).to.equal('success');
    expect(await h.taskStates('sensors_poke', run.run_id)).to.deep.equal({
      file_wait: 'success', sql_wait: 'success', delta_wait: 'success', at_wait: 'success', after_all: 'success',
    });
    // The date_time sensor did not end before its target time; every sensor used one try.
    const atWait = await tiRow(h, 'sensors_poke', run.run_id, 'at_wait');
    expect(atWait.end_date!.getTime()).to.be.at.least(at.getTime());
    for (const t of ['file_wait', 'sql_wait', 'delta_wait', 'at_wait']) expect((await tiRow(h, 'sensors_poke', run.run_id, t)).try_number).to.equal(1);
  });

  it('time_delta waits until data_interval_end + delta', async () => {
    // A manual run's data interval ends at its logical date: put it a little ahead.
    const logical = new Date(Date.now() + 500);
    const run = await h.trigger({ dag_id: 'delta_only', logical_date: logical });
    expect(await h.waitForRun('delta_only', run.run_id)).to.equal('success');
    const ti = await tiRow(h, 'delta_only', run.run_id, 'delta_wait');
    expect(ti.end_date!.getTime()).to.be.at.least(logical.getTime() + 400);
    expect(ti.try_number).to.equal(1);
  });

  it('timeouts fail without retry (or skip with soft_fail); fs connections, globs and directories', async () => {
    const run = await h.trigger({ dag_id: 'sensors_edges' });
    expect(await h.waitForRun('sensors_edges', run.run_id)).to.equal('failed');
    expect(await h.taskStates('sensors_edges', run.run_id)).to.deep.equal({
      times_out: 'failed', soft: 'skipped', empty_dir: 'skipped', sql_empty: 'failed', sql_false: 'failed',
      via_conn: 'success', recursive_glob: 'success', flat_glob: 'skipped', dir_with_file: 'success',
    });
    const timedOut = await tryErrors(h, 'sensors_edges', run.run_id, 'times_out');
    expect(timedOut).to.have.length(1);
    expect(timedOut[0]).to.match(/^Sensor has timed out; run duration of 0\.\d+ seconds exceeds the specified timeout of 0\.3\.$/);
    expect(await tryErrors(h, 'sensors_edges', run.run_id, 'sql_empty')).to.deep.equal(['No rows returned, raising as per fail_on_empty flag']);
    expect(await tryErrors(h, 'sensors_edges', run.run_id, 'sql_false')).to.have.length(1);
  });

  it('external_task_sensor waits for another DAG\'s run at the matching logical date; failed states fail it', async () => {
    const upstreamDate = new Date('2026-11-20T05:00:00Z');
    const down = await h.trigger({ dag_id: 'downstream_dag', logical_date: new Date(upstreamDate.getTime() + 3600_000) });
    await waitFor('external sensors poking', async () => (await h.taskStates('downstream_dag', down.run_id)).wait_task === 'running');
    await sleep(300);
    // No upstream run yet: the sensors keep waiting; a missing DAG fails at once.
    expect(await h.taskStates('downstream_dag', down.run_id)).to.include({ wait_task: 'running', wait_fn: 'running', wait_run: 'running', no_such_dag: 'failed' });
    const up = await h.trigger({ dag_id: 'upstream_dag', logical_date: upstreamDate });
    expect(await h.waitForRun('upstream_dag', up.run_id)).to.equal('failed');
    expect(await h.waitForRun('downstream_dag', down.run_id)).to.equal('failed');
    expect(await h.taskStates('downstream_dag', down.run_id)).to.deep.equal({
      wait_task: 'success', wait_fn: 'success', wait_broken: 'failed', wait_broken_soft: 'skipped', wait_run: 'failed',
      wait_same_date: 'skipped', no_such_dag: 'failed',
    });
    // A failed external task fails the sensor with a clear message and no retry.
    expect(await tryErrors(h, 'downstream_dag', down.run_id, 'wait_broken')).to.deep.equal([
      'external task(s) broken of DAG "upstream_dag" ended in a failed state (broken at 2026-11-20T05:00:00.000Z: failed)',
    ]);
    expect(await tryErrors(h, 'downstream_dag', down.run_id, 'wait_run')).to.deep.equal([
      'external DAG "upstream_dag" ended in a failed state (at 2026-11-20T05:00:00.000Z: failed)',
    ]);
    expect(await tryErrors(h, 'downstream_dag', down.run_id, 'no_such_dag')).to.deep.equal(['The external DAG "nope" does not exist.']);
    // The sensor on the task that succeeded finished only after it did.
    const extract = await tiRow(h, 'upstream_dag', up.run_id, 'extract');
    expect((await tiRow(h, 'downstream_dag', down.run_id, 'wait_task')).end_date!.getTime()).to.be.at.least(extract.end_date!.getTime());
  });
});

describe('sensors (reschedule mode)', function () {
  this.timeout(60_000);
  let h: Harness;
  let dir: string;
  const SENSORS = 6;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-resched-sensors-'));
    h = await createHarness();
    h.writeDag('resched_sensors.json', JSON.stringify({
      dag_id: 'resched_sensors', tasks: [
        ...Array.from({ length: SENSORS }, (_, i) => ({
          id: `wait_${i}`, type: 'file_sensor', mode: 'reschedule', filepath: `${dir}/go`, poke_interval: 0.2, timeout: 30,
        })),
      ],
    }));
    h.writeDag('resched_timeout.json', JSON.stringify({
      dag_id: 'resched_timeout', tasks: [
        { id: 'never', type: 'file_sensor', mode: 'reschedule', filepath: `${dir}/never`, poke_interval: 0.2, timeout: 0.8, retries: 2 },
      ],
    }));
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    // Fewer slots than sensors: in poke mode only two could ever be checking.
    await h.startWorker({ concurrency: 2 });
  });
  after(async () => {
    await h.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('more reschedule-mode sensors than worker slots all poke, wait in up_for_reschedule and finish in try 1', async () => {
    const run = await h.trigger({ dag_id: 'resched_sensors' });
    const states = sample(async () => rows<{ task_id: string; state: string | null; try_number: number }>(h.db,
      `select task_id, state, try_number from task_instance where run_id = ? and task_id like 'wait_%'`, [run.run_id]), 10);
    // Every sensor has been poked and handed its slot back before the file exists.
    const rescheduled = new Set<string>();
    await waitFor('every sensor rescheduled at least once', async () => {
      const now = await rows<{ task_id: string; state: string | null }>(h.db,
        `select task_id, state from task_instance where run_id = ? and task_id like 'wait_%'`, [run.run_id]);
      for (const r of now) if (r.state === 'up_for_reschedule') rescheduled.add(r.task_id);
      return rescheduled.size === SENSORS;
    }, 20_000, 10);
    fs.writeFileSync(path.join(dir, 'go'), 'now');
    expect(await h.waitForRun('resched_sensors', run.run_id, 30_000)).to.equal('success');
    const seen = (await states.stop()).flat();
    expect(seen.some((s) => s.state === 'up_for_reschedule')).to.equal(true);
    expect(seen.every((s) => s.try_number <= 1)).to.equal(true);
    const all = await tries(h, 'resched_sensors', run.run_id);
    const waits = all.filter((t) => t.task_id.startsWith('wait_'));
    expect(waits.map((t) => [t.try_number, t.state])).to.deep.equal(Array.from({ length: SENSORS }, () => [1, 'success']));
  });

  it('a reschedule-mode sensor times out from the try\'s first start, failing without retry', async () => {
    const run = await h.trigger({ dag_id: 'resched_timeout' });
    expect(await h.waitForRun('resched_timeout', run.run_id)).to.equal('failed');
    const t = await tries(h, 'resched_timeout', run.run_id);
    expect(t.map((x) => [x.try_number, x.state])).to.deep.equal([[1, 'failed']]);
    expect(t[0]!.error).to.match(/^Sensor has timed out; run duration of \d+\.\d+ seconds exceeds the specified timeout of 0\.8\.$/);
    // Several runs of the task (reschedules) in one try, which ended after the timeout.
    expect(t[0]!.end.getTime() - t[0]!.start.getTime()).to.be.at.least(800);
    const logs = await rows<{ n: string }>(h.db, `select count(*) as n from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.run_id = ? and l.message like 'condition not met; rescheduling%'`, [run.run_id]);
    expect(Number(logs[0]?.n)).to.be.at.least(2);
    expect((await tiRow(h, 'resched_timeout', run.run_id, 'never')).try_number).to.equal(1);
  });
});
