/** Sensors without I/O: poke intervals (Airflow's backoff), timeout decisions, the poke loop, argument checks. */
import { memoryCheckpoints } from '../../core/checkpoints/checkpoint.ts';
import { expect } from 'chai';
import type { TaskContext } from '../../core/authoring/context.ts';
import { TaskFailNow } from '../../core/errors.ts';
import { BaseSensorOperator, PokeReturnValue, SENSOR_ARGS, type PokeResult, type SensorArgs } from '../../operators/sensors/base-sensor.ts';
import { ExternalTaskSensor } from '../../operators/sensors/external-task-sensor.ts';
import { judgeExternal, type ExternalState, type ExternalTarget } from '../../operators/sensors/external-task-query.ts';
import { FileSensor } from '../../operators/sensors/file-sensor.ts';
import { backoffMs, decideAfterFalsePoke, estimatePokeCount, nextPokeIntervalMs } from '../../operators/sensors/poke-interval.ts';
import { pythonTruthy, SqlSensor } from '../../operators/sensors/sql-sensor.ts';
import { segmentRegex } from '../../operators/sensors/file-glob.ts';
import { DateTimeSensor, parseTargetTime, TimeDeltaSensor } from '../../operators/sensors/time-sensors.ts';
import { z } from 'zod';

/** The error a promise rejects with; fails the test when it resolves. */
async function errorOf(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (err) { return err as Error; }
  return expect.fail('expected a rejection');
}

const KEY = 'd#t#2026-01-01T00:00:00.000Z';

describe('sensors: poke intervals', () => {
  // Expected values computed with Airflow's formula in Python (hashlib.sha1, int(..., 16)).
  it('follows Airflow\'s jittered exponential backoff, in whole seconds', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(5000, n, KEY) / 1000)).to.deep.equal([2, 5, 16, 20, 49, 86, 305]);
    // The base never drops below one second.
    expect([1, 2, 3].map((n) => backoffMs(50, n, KEY))).to.deep.equal([1000, 1000, 1000]);
  });

  const base = { pokeIntervalMs: 5000, timeoutMs: 3_600_000, exponentialBackoff: false, maxWaitMs: null, elapsedMs: 0, pokeCount: 1, jitterKey: KEY };

  it('waits poke_interval without backoff, but never past the timeout', () => {
    expect(nextPokeIntervalMs({ ...base, pokeCount: 5 })).to.equal(5000);
    expect(nextPokeIntervalMs({ ...base, timeoutMs: 10_000, elapsedMs: 8_500 })).to.equal(1500);
    expect(nextPokeIntervalMs({ ...base, timeoutMs: 10_000, elapsedMs: 12_000 })).to.equal(0);
  });

  it('caps the backoff by max_wait and by the time left (whole seconds elapsed, as Airflow)', () => {
    const exp = { ...base, exponentialBackoff: true };
    expect(nextPokeIntervalMs({ ...exp, pokeCount: 6 })).to.equal(86_000);
    expect(nextPokeIntervalMs({ ...exp, pokeCount: 6, maxWaitMs: 30_000 })).to.equal(30_000);
    expect(nextPokeIntervalMs({ ...exp, pokeCount: 6, timeoutMs: 100_000, elapsedMs: 40_700 })).to.equal(60_000);
  });

  it('estimates the poke count of a rescheduled sensor from the elapsed time', () => {
    // Waits 2, 5, 16, 20 s: cumulative 2, 7, 23, 43.
    expect(estimatePokeCount(5000, 0, KEY)).to.equal(1);
    expect(estimatePokeCount(5000, 7000, KEY)).to.equal(3);
    expect(estimatePokeCount(5000, 30_000, KEY)).to.equal(4);
  });

  it('times out once the elapsed time reaches the timeout: fail, or skip with soft_fail', () => {
    expect(decideAfterFalsePoke(999, 1000, false)).to.deep.equal({ kind: 'wait' });
    const fail = decideAfterFalsePoke(1000, 1000, false);
    expect(fail.kind).to.equal('fail');
    expect(decideAfterFalsePoke(2500, 1000, true)).to.deep.equal({
      kind: 'skip', message: 'Sensor has timed out; run duration of 2.500 seconds exceeds the specified timeout of 1.',
    });
  });
});

/** A sensor whose pokes answer from a script. */
class ScriptedSensor extends BaseSensorOperator<SensorArgs> {
  readonly operatorType = 'scripted';
  pokes = 0;
  constructor(args: SensorArgs & { task_id: string }, private readonly answer: (n: number) => PokeResult | Promise<PokeResult>) {
    super(args, z.object(SENSOR_ARGS).strict());
  }
  async poke(): Promise<PokeResult> {
    this.pokes += 1;
    return this.answer(this.pokes);
  }
}

function fakeContext(signal = new AbortController().signal, startedAt = new Date()): TaskContext {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return {
    dag_id: 'd', task_id: 't', run_id: 'r', logical_date: null, data_interval_start: null, data_interval_end: null,
    params: {}, conf: {}, log, signal, template: {}, render: (s) => s, upstream: [], run_type: 'manual',
    dagSpec: { dag_id: 'd', tasks: [], timezone: 'UTC' } as unknown as TaskContext['dagSpec'],
    skip: async () => undefined, triggerRun: async () => ({ run_id: 'x' }), runState: async () => null,
    getConnection: async () => { throw new Error('no connections here'); },
    checkpoint: memoryCheckpoints(),
    ti: { dag_id: 'd', task_id: 't', run_id: 'r', map_index: -1, try_number: 1, max_tries: 1, try_started_at: startedAt,
      xcom_pull: async () => null, xcom_push: async () => undefined },
  };
}

describe('sensors: the poke loop', () => {
  it('pokes until done and returns the PokeReturnValue as the XCom', async () => {
    const s = new ScriptedSensor({ task_id: 's', poke_interval: 0.01 }, (n) => (n < 3 ? false : new PokeReturnValue(true, { n })));
    expect(await s.execute(s.args, fakeContext())).to.deep.equal({ n: 3 });
    expect(s.pokes).to.equal(3);
  });

  it('accepts a PokeReturnValue-shaped object (a CommonJS DAG file\'s copy of the class)', async () => {
    const s = new ScriptedSensor({ task_id: 's', poke_interval: 0.01 }, (n) => ({ is_done: n > 1, xcom_value: 'v' }) as PokeReturnValue);
    expect(await s.execute(s.args, fakeContext())).to.equal('v');
  });

  it('fails without retry on timeout, counted from the try\'s first start', async () => {
    const s = new ScriptedSensor({ task_id: 's', poke_interval: 10, timeout: 60 }, () => false);
    const err = await errorOf(s.execute(s.args, fakeContext(undefined, new Date(Date.now() - 61_000))));
    expect(err).to.be.instanceOf(TaskFailNow);
    expect(err.message).to.match(/^Sensor has timed out; run duration of 6\d\.\d+ seconds exceeds the specified timeout of 60\.$/);
    expect(s.pokes).to.equal(1);
  });

  it('is skipped on timeout with soft_fail, and a definite failure from poke() becomes a skip too', async () => {
    const timedOut = new ScriptedSensor({ task_id: 's', timeout: 0, soft_fail: true }, () => false);
    expect((await errorOf(timedOut.execute(timedOut.args, fakeContext()))).name).to.equal('TaskSkip');
    const failing = new ScriptedSensor({ task_id: 's', soft_fail: true }, () => { throw new TaskFailNow('external failed'); });
    const err = await errorOf(failing.execute(failing.args, fakeContext()));
    expect(err.name).to.equal('TaskSkip');
    expect(err.message).to.include('external failed');
    const plain = new ScriptedSensor({ task_id: 's' }, () => { throw new TaskFailNow('external failed'); });
    expect((await errorOf(plain.execute(plain.args, fakeContext()))).name).to.equal('TaskFailNow');
  });

  it('in reschedule mode, throws TaskReschedule for the next poke instead of sleeping', async () => {
    const s = new ScriptedSensor({ task_id: 's', mode: 'reschedule', poke_interval: 30 }, () => false);
    const before = Date.now();
    const err = await errorOf(s.execute(s.args, fakeContext()));
    expect(err.name).to.equal('TaskReschedule');
    const at = (err as Error & { at: Date }).at.getTime();
    expect(at).to.be.within(before + 30_000, Date.now() + 30_000);
    expect(s.pokes).to.equal(1);
  });

  it('an abort interrupts the sleep between pokes at once', async () => {
    const ctrl = new AbortController();
    const s = new ScriptedSensor({ task_id: 's', poke_interval: 60 }, () => false);
    const started = Date.now();
    setTimeout(() => ctrl.abort(new Error('stop now')), 30);
    const err = await errorOf(s.execute(s.args, fakeContext(ctrl.signal)));
    expect(err.message).to.equal('stop now');
    expect(Date.now() - started).to.be.below(500);
  });
});

describe('sensors: arguments', () => {
  const invalid = (make: () => unknown) => {
    try { make(); } catch (err) { return (err as Error).message; }
    throw new Error('expected the arguments to be rejected');
  };

  it('checks the common sensor arguments, with durations as elsewhere', () => {
    expect(invalid(() => new FileSensor({ task_id: 'f', filepath: '/x', mode: 'sometimes' as 'poke' }))).to.match(/^task "f": mode: /);
    expect(invalid(() => new FileSensor({ task_id: 'f', filepath: '/x', poke_interval: -1 })))
      .to.equal('task "f": poke_interval: expected a non-negative number of seconds, got -1');
    expect(invalid(() => new FileSensor({ task_id: 'f', filepath: '/x', timeout: 'soon' })))
      .to.match(/^task "f": timeout: "soon" is not a number of seconds nor an ISO-8601 duration/);
    const ok = new FileSensor({ task_id: 'f', filepath: '/x', poke_interval: 'PT2M', timeout: { hours: 1 }, max_wait: 30 });
    expect(ok.sensor).to.deep.equal({ mode: 'poke', pokeIntervalMs: 120_000, timeoutMs: 3_600_000, softFail: false, exponentialBackoff: false, maxWaitMs: 30_000 });
    expect(new FileSensor({ task_id: 'g', filepath: '/x' }).sensor).to.include({ pokeIntervalMs: 60_000, timeoutMs: 7 * 24 * 3600 * 1000 });
    expect(invalid(() => new FileSensor({ task_id: 'f', filepath: '/x', recursve: true } as never))).to.match(/recursve/);
  });

  it('checks each sensor\'s own arguments', () => {
    expect(invalid(() => new SqlSensor({ task_id: 's' } as never))).to.match(/^task "s": sql: /);
    expect(invalid(() => new TimeDeltaSensor({ task_id: 't', delta: 'PTfive' }))).to.match(/^task "t": delta: /);
    expect(invalid(() => new DateTimeSensor({ task_id: 'd', target_time: 'next tuesday' })))
      .to.equal('task "d": target_time: "next tuesday" is not an ISO-8601 date-time');
    expect(new DateTimeSensor({ task_id: 'd', target_time: '{{ data_interval_end }}' }).templateFields).to.deep.equal(['target_time']);
    expect(invalid(() => new ExternalTaskSensor({ task_id: 'e', external_dag_id: 'x', external_task_id: 'a', external_task_ids: ['b'] })))
      .to.equal('task "e": give external_task_id or external_task_ids, not both');
    expect(invalid(() => new ExternalTaskSensor({ task_id: 'e', external_dag_id: 'x', external_task_id: 'a', failed_states: ['broken'] })))
      .to.match(/^task "e": failed_states: unknown task state\(s\) broken/);
    // A whole run is judged by DAG-run states: 'skipped' is not one.
    expect(invalid(() => new ExternalTaskSensor({ task_id: 'e', external_dag_id: 'x', allowed_states: ['skipped'] })))
      .to.match(/unknown DAG run state\(s\) skipped/);
    expect(invalid(() => new ExternalTaskSensor({ task_id: 'e', external_dag_id: 'x', failed_states: ['success'] })))
      .to.equal('task "e": state(s) success cannot be both allowed and failed/skipped');
    expect(invalid(() => new ExternalTaskSensor({ task_id: 'e', external_dag_id: 'x', execution_delta: 60, execution_date_fn: (d) => d })))
      .to.equal('task "e": give execution_delta or execution_date_fn, not both');
    expect(new ExternalTaskSensor({ task_id: 'e', external_dag_id: 'x', execution_date_fn: (d) => d }).needsDagFile).to.equal(true);
    expect(new SqlSensor({ task_id: 's', sql: 'select 1' }).needsDagFile).to.equal(false);
  });
});

describe('sensors: conditions', () => {
  it('tests the first SQL cell with Python\'s truthiness', () => {
    expect([null, false, 0, '', [], {}, Number.NaN].map(pythonTruthy)).to.deep.equal([false, false, false, false, false, false, false]);
    expect([true, 1, -1, 'x', '0', [0], { a: 1 }, new Date(0)].map(pythonTruthy)).to.deep.equal([true, true, true, true, true, true, true, true]);
  });

  it('parses target times with an offset as given and naive ones in the DAG timezone', () => {
    expect(parseTargetTime('2026-03-01T08:00:00+01:00', 'UTC', 'x').toISOString()).to.equal('2026-03-01T07:00:00.000Z');
    expect(parseTargetTime('2026-03-01 08:00:00', 'America/New_York', 'x').toISOString()).to.equal('2026-03-01T13:00:00.000Z');
  });

  it('matches glob segments like fnmatch', () => {
    expect(segmentRegex('data_*.csv').test('data_2026.csv')).to.equal(true);
    expect(segmentRegex('data_*.csv').test('data_2026.csvx')).to.equal(false);
    expect(segmentRegex('part-?[0-9].[!t]xt').test('part-a1.ext')).to.equal(true);
    expect(segmentRegex('part-?[0-9].[!t]xt').test('part-a1.txt')).to.equal(false);
    expect(segmentRegex('a+b(1).txt').test('a+b(1).txt')).to.equal(true);
  });

  describe('external task verdicts', () => {
    const d1 = new Date('2026-01-01T00:00:00Z');
    const d2 = new Date('2026-01-02T00:00:00Z');
    const target: ExternalTarget = { dagId: 'up', taskIds: ['a', 'b'], logicalDates: [d1, d2] };
    const crit = { allowed: ['success'], failed: ['failed'], skipped: ['skipped'] };
    const rows = (states: Array<[string, Date, string | null]>): ExternalState[] => states.map(([task_id, logical_date, state]) => ({ task_id, logical_date, state }));

    it('is done only when every task at every date is allowed (map indexes included)', () => {
      const all = rows([['a', d1, 'success'], ['b', d1, 'success'], ['a', d2, 'success'], ['b', d2, 'success']]);
      expect(judgeExternal(target, all, crit)).to.deep.equal({ kind: 'done' });
      expect(judgeExternal(target, all.slice(1), crit)).to.deep.equal({ kind: 'waiting', reason: '1 of 4 not yet in success' });
      expect(judgeExternal(target, [...all, ...rows([['b', d2, 'running']])], crit).kind).to.equal('waiting');
    });

    it('fails on any failed state, naming it, before looking at skips', () => {
      const v = judgeExternal(target, rows([['a', d1, 'skipped'], ['b', d2, 'failed']]), crit);
      expect(v).to.deep.equal({ kind: 'failed', message: 'external task(s) a, b of DAG "up" ended in a failed state (b at 2026-01-02T00:00:00.000Z: failed)' });
      expect(judgeExternal(target, rows([['a', d1, 'skipped']]), crit).kind).to.equal('skipped');
    });

    it('judges a whole run by its state', () => {
      const run: ExternalTarget = { dagId: 'up', taskIds: null, logicalDates: [d1] };
      const c = { allowed: ['success'], failed: ['failed'], skipped: [] };
      expect(judgeExternal(run, [], c).kind).to.equal('waiting');
      expect(judgeExternal(run, [{ task_id: null, logical_date: d1, state: 'running' }], c).kind).to.equal('waiting');
      expect(judgeExternal(run, [{ task_id: null, logical_date: d1, state: 'success' }], c)).to.deep.equal({ kind: 'done' });
      expect(judgeExternal(run, [{ task_id: null, logical_date: d1, state: 'failed' }], c).kind).to.equal('failed');
    });
  });
});
