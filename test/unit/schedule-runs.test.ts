import { expect } from 'chai';
import {
  backfillRunInfos,
  compileSchedule,
  manualRunInfo,
  nextRunInfo,
  type RunInfo,
} from '../../core/schedule/index.ts';

/*
 * Expected instants were worked out by hand from Airflow's timetable code
 * (interval.py, _cron.py, simple.py) and the Europe/Amsterdam rules:
 * CET = UTC+1, CEST = UTC+2; 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z),
 * 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).
 */

import { d, opts, view, run, chain, lengthsH, amsTime } from '../support/schedule-helpers.ts';

describe('nextRunInfo: cron', () => {
  const daily = compileSchedule('@daily', 'UTC');
  const start_date = d('2026-01-01T00:00:00Z');

  it('catchup=false: the latest complete interval (the 2026-11-20 run is due at 2026-11-21T00:00Z)', () => {
    const r = nextRunInfo(daily, opts({ start_date, now: d('2026-11-21T06:00:00Z') }));
    expect(view(r)).to.deep.equal(run('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z'));
  });

  it('catchup=false: when now is exactly on a tick, the interval ending now', () => {
    const r = nextRunInfo(daily, opts({ start_date, now: d('2026-11-21T00:00:00Z') }));
    expect(view(r)).to.deep.equal(run('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z'));
  });

  it('catchup=false: skips missed intervals after an old last run', () => {
    const r = nextRunInfo(
      daily,
      opts({
        start_date,
        last_automated: { start: d('2026-11-10T00:00:00Z'), end: d('2026-11-11T00:00:00Z') },
        now: d('2026-11-21T06:00:00Z'),
      }),
    );
    expect(view(r)).to.deep.equal(run('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z'));
  });

  it('catchup=false: never before the end of the last automated run (next one lies in the future)', () => {
    const r = nextRunInfo(
      daily,
      opts({
        start_date,
        last_automated: { start: d('2026-11-20T00:00:00Z'), end: d('2026-11-21T00:00:00Z') },
        now: d('2026-11-21T06:00:00Z'),
      }),
    );
    expect(view(r)).to.deep.equal(run('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z'));
  });

  it('catchup=false: never before start_date (future start_date, aligned to the next tick)', () => {
    const r = nextRunInfo(daily, opts({ start_date: d('2026-12-01T12:00:00Z'), now: d('2026-11-21T06:00:00Z') }));
    expect(view(r)).to.deep.equal(run('2026-12-02T00:00:00Z', '2026-12-03T00:00:00Z'));
  });

  it('catchup=true: the first interval starts at start_date, however long ago', () => {
    const r = nextRunInfo(daily, opts({ start_date, catchup: true, now: d('2026-11-21T06:00:00Z') }));
    expect(view(r)).to.deep.equal(run('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'));
  });

  it('catchup=true: a start_date between ticks aligns to the next tick', () => {
    const r = nextRunInfo(
      compileSchedule('0 6 * * *', 'UTC'),
      opts({ start_date: d('2026-01-01T06:30:00Z'), catchup: true, now: d('2026-11-21T00:00:00Z') }),
    );
    expect(view(r)).to.deep.equal(run('2026-01-02T06:00:00Z', '2026-01-03T06:00:00Z'));
    const early = nextRunInfo(
      compileSchedule('0 6 * * *', 'UTC'),
      opts({ start_date: d('2026-01-01T05:00:00Z'), catchup: true, now: d('2026-11-21T00:00:00Z') }),
    );
    expect(view(early)).to.deep.equal(run('2026-01-01T06:00:00Z', '2026-01-02T06:00:00Z'));
  });

  it('catchup=true: the interval right after the last automated run', () => {
    const r = nextRunInfo(
      daily,
      opts({
        start_date,
        catchup: true,
        last_automated: { start: d('2026-01-05T00:00:00Z'), end: d('2026-01-06T00:00:00Z') },
        now: d('2026-11-21T06:00:00Z'),
      }),
    );
    expect(view(r)).to.deep.equal(run('2026-01-06T00:00:00Z', '2026-01-07T00:00:00Z'));
  });

  it('catchup=true: chains contiguous intervals up to now, then one in the future', () => {
    const runs = chain(daily, opts({ start_date: d('2026-11-18T00:00:00Z'), catchup: true, now: d('2026-11-21T06:00:00Z') }), 4);
    expect(runs.map(view)).to.deep.equal([
      run('2026-11-18T00:00:00Z', '2026-11-19T00:00:00Z'),
      run('2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z'),
      run('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z'),
      run('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z'),
    ]);
    const due = runs.filter((r) => r.run_after <= d('2026-11-21T06:00:00Z'));
    expect(due).to.have.length(3);
  });

  it('end_date: an interval starting at end_date still runs, none after', () => {
    const base = opts({ start_date, end_date: d('2026-01-10T00:00:00Z'), catchup: true, now: d('2026-11-21T00:00:00Z') });
    const atEnd = nextRunInfo(daily, { ...base, last_automated: { start: d('2026-01-09T00:00:00Z'), end: d('2026-01-10T00:00:00Z') } });
    expect(view(atEnd)).to.deep.equal(run('2026-01-10T00:00:00Z', '2026-01-11T00:00:00Z'));
    const after = nextRunInfo(daily, { ...base, last_automated: { start: d('2026-01-10T00:00:00Z'), end: d('2026-01-11T00:00:00Z') } });
    expect(after).to.equal(null);
    expect(chain(daily, base, 100)).to.have.length(10);
  });

  it('end_date: catchup=false with end_date in the past gives nothing', () => {
    const r = nextRunInfo(daily, opts({ start_date, end_date: d('2026-06-30T12:00:00Z'), now: d('2026-11-21T06:00:00Z') }));
    expect(r).to.equal(null);
  });

  it('no start_date: the latest complete interval at now, catchup or not', () => {
    const now = d('2026-11-21T06:00:00Z');
    for (const catchup of [false, true]) {
      const r = nextRunInfo(daily, opts({ catchup, now }));
      expect(view(r), `catchup=${catchup}`).to.deep.equal(run('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z'));
    }
    const later = nextRunInfo(
      daily,
      opts({ catchup: true, now, last_automated: { start: d('2026-11-20T00:00:00Z'), end: d('2026-11-21T00:00:00Z') } }),
    );
    expect(view(later)).to.deep.equal(run('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z'));
  });

  it('computes ticks in the schedule time zone', () => {
    const r = nextRunInfo(
      compileSchedule('0 6 * * *', 'America/New_York'),
      opts({ start_date: d('2026-07-01T00:00:00Z'), catchup: true, now: d('2026-11-21T06:00:00Z') }),
    );
    // 06:00 EDT = 10:00Z
    expect(view(r)).to.deep.equal(run('2026-07-01T10:00:00Z', '2026-07-02T10:00:00Z'));
  });

  it('day-of-month and day-of-week together mean either (cron OR rule)', () => {
    const runs = backfillRunInfos(compileSchedule('0 0 15 * 1', 'UTC'), {
      from: d('2026-01-01T00:00:00Z'),
      to: d('2026-01-20T00:00:00Z'),
      start_date: null,
      end_date: null,
    });
    expect(runs.map((r) => r.logical_date.toISOString().slice(0, 10))).to.deep.equal([
      '2026-01-05',
      '2026-01-12',
      '2026-01-15',
      '2026-01-19',
    ]);
  });
});

describe('nextRunInfo: DST in Europe/Amsterdam', () => {
  const daily = compileSchedule('0 0 * * *', 'Europe/Amsterdam');
  const hourly = compileSchedule('@hourly', 'Europe/Amsterdam');

  it('daily: 23 h interval on spring-forward day 2026-03-29', () => {
    const runs = chain(daily, opts({ start_date: d('2026-03-27T23:00:00Z'), catchup: true, now: d('2026-04-10T00:00:00Z') }), 3);
    expect(runs.map(view)).to.deep.equal([
      run('2026-03-27T23:00:00Z', '2026-03-28T23:00:00Z'),
      run('2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z'),
      run('2026-03-29T22:00:00Z', '2026-03-30T22:00:00Z'),
    ]);
    expect(lengthsH(runs)).to.deep.equal([24, 23, 24]);
  });

  it('daily: 25 h interval on fall-back day 2026-10-25', () => {
    const runs = chain(daily, opts({ start_date: d('2026-10-23T22:00:00Z'), catchup: true, now: d('2026-11-10T00:00:00Z') }), 3);
    expect(runs.map(view)).to.deep.equal([
      run('2026-10-23T22:00:00Z', '2026-10-24T22:00:00Z'),
      run('2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z'),
      run('2026-10-25T23:00:00Z', '2026-10-26T23:00:00Z'),
    ]);
    expect(lengthsH(runs)).to.deep.equal([24, 25, 24]);
  });

  it('daily catchup=false just after local midnight picks the 23 h day', () => {
    const r = nextRunInfo(daily, opts({ start_date: d('2026-01-01T00:00:00Z'), now: d('2026-03-29T22:30:00Z') }));
    expect(view(r)).to.deep.equal(run('2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z'));
  });

  it('hourly across fall-back: 02:00 local runs twice, every interval is 1 h, none missing', () => {
    const runs = chain(hourly, opts({ start_date: d('2026-10-24T22:00:00Z'), catchup: true, now: d('2026-11-01T00:00:00Z') }), 6);
    expect(runs.map((r) => r.data_interval.start.toISOString())).to.deep.equal([
      '2026-10-24T22:00:00.000Z',
      '2026-10-24T23:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T03:00:00.000Z',
    ]);
    expect(runs.map((r) => amsTime(r.data_interval.start))).to.deep.equal(['00:00', '01:00', '02:00', '02:00', '03:00', '04:00']);
    expect(lengthsH(runs)).to.deep.equal([1, 1, 1, 1, 1, 1]);
  });

  it('hourly across spring-forward: no 02:00 local, every interval is 1 h, contiguous', () => {
    const runs = chain(hourly, opts({ start_date: d('2026-03-28T23:00:00Z'), catchup: true, now: d('2026-04-01T00:00:00Z') }), 4);
    expect(runs.map((r) => amsTime(r.data_interval.start))).to.deep.equal(['00:00', '01:00', '03:00', '04:00']);
    expect(lengthsH(runs)).to.deep.equal([1, 1, 1, 1]);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]?.data_interval.start.getTime()).to.equal(runs[i - 1]?.data_interval.end.getTime());
    }
  });

  it('hourly catchup=false inside the repeated hour picks the right instant', () => {
    // 01:30Z = 02:30 CET (second pass through 02:xx); latest complete is [02:00 CEST, 02:00 CET].
    const r = nextRunInfo(hourly, opts({ start_date: d('2026-01-01T00:00:00Z'), now: d('2026-10-25T01:30:00Z') }));
    expect(view(r)).to.deep.equal(run('2026-10-25T00:00:00Z', '2026-10-25T01:00:00Z'));
  });

  it('a daily time inside the gap shifts forward; inside the fold takes the later pass (as Airflow)', () => {
    const spec = compileSchedule('30 2 * * *', 'Europe/Amsterdam');
    const spring = chain(spec, opts({ start_date: d('2026-03-28T00:00:00Z'), catchup: true, now: d('2026-04-10T00:00:00Z') }), 2);
    expect(spring.map(view)).to.deep.equal([
      run('2026-03-28T01:30:00Z', '2026-03-29T01:30:00Z'), // 03-29 02:30 does not exist -> 03:30 CEST
      run('2026-03-29T01:30:00Z', '2026-03-30T00:30:00Z'),
    ]);
    const fall = chain(spec, opts({ start_date: d('2026-10-24T00:00:00Z'), catchup: true, now: d('2026-11-10T00:00:00Z') }), 2);
    expect(fall.map(view)).to.deep.equal([
      run('2026-10-24T00:30:00Z', '2026-10-25T01:30:00Z'), // 02:30 CET, not 02:30 CEST (00:30Z)
      run('2026-10-25T01:30:00Z', '2026-10-26T01:30:00Z'),
    ]);
  });

  it('an hourly weekday schedule resumes at local Monday 00:00 after a DST weekend', () => {
    // Friday 23:00 CEST (21:00Z) -> Monday 00:00 CET (Sunday 23:00Z), across the fall-back.
    const r = nextRunInfo(
      compileSchedule('0 * * * 1-5', 'Europe/Amsterdam'),
      opts({ start_date: d('2026-10-23T21:00:00Z'), catchup: true, now: d('2026-11-10T00:00:00Z') }),
    );
    expect(view(r)).to.deep.equal(run('2026-10-23T21:00:00Z', '2026-10-25T23:00:00Z'));
  });
});

describe('nextRunInfo: interval', () => {
  const every6h = compileSchedule({ hours: 6 }, 'UTC');

  it('catchup=true: starts exactly at start_date (no alignment) and chains', () => {
    const runs = chain(every6h, opts({ start_date: d('2026-01-01T01:00:00Z'), catchup: true, now: d('2026-11-21T00:00:00Z') }), 2);
    expect(runs.map(view)).to.deep.equal([
      run('2026-01-01T01:00:00Z', '2026-01-01T07:00:00Z'),
      run('2026-01-01T07:00:00Z', '2026-01-01T13:00:00Z'),
    ]);
  });

  it('catchup=false: latest complete interval on the epoch grid, as Airflow', () => {
    const r = nextRunInfo(
      compileSchedule('PT30M', 'UTC'),
      opts({ start_date: d('2026-01-01T00:15:00Z'), now: d('2026-11-21T10:07:00Z') }),
    );
    expect(view(r)).to.deep.equal(run('2026-11-21T09:30:00Z', '2026-11-21T10:00:00Z'));
  });

  it('catchup=false: continues from the last run once it is recent', () => {
    const r = nextRunInfo(
      every6h,
      opts({
        start_date: d('2026-01-01T00:00:00Z'),
        last_automated: { start: d('2026-11-20T22:00:00Z'), end: d('2026-11-21T04:00:00Z') },
        now: d('2026-11-21T05:00:00Z'),
      }),
    );
    expect(view(r)).to.deep.equal(run('2026-11-21T04:00:00Z', '2026-11-21T10:00:00Z'));
  });

  it('end_date cuts intervals starting after it', () => {
    const runs = chain(
      every6h,
      opts({ start_date: d('2026-01-01T00:00:00Z'), end_date: d('2026-01-01T12:00:00Z'), catchup: true, now: d('2026-02-01T00:00:00Z') }),
      10,
    );
    expect(runs.map((r) => r.logical_date.toISOString())).to.deep.equal([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T06:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
    ]);
  });
});

describe('nextRunInfo: once, continuous, none', () => {
  const once = compileSchedule('@once', 'UTC');
  const continuous = compileSchedule('@continuous', 'UTC');
  const now = d('2026-11-21T06:00:00Z');

  it('@once: one run at start_date, then nothing', () => {
    const first = nextRunInfo(once, opts({ start_date: d('2026-11-01T12:00:00Z'), catchup: false, now }));
    expect(view(first)).to.deep.equal(run('2026-11-01T12:00:00Z', '2026-11-01T12:00:00Z'));
    const second = nextRunInfo(once, opts({ start_date: d('2026-11-01T12:00:00Z'), last_automated: first?.data_interval ?? null, now }));
    expect(second).to.equal(null);
  });

  it('@once: a future start_date waits; an end_date before it cancels; no start_date runs now', () => {
    const future = nextRunInfo(once, opts({ start_date: d('2026-12-01T00:00:00Z'), now }));
    expect(future?.run_after.toISOString()).to.equal('2026-12-01T00:00:00.000Z');
    expect(nextRunInfo(once, opts({ start_date: d('2026-12-01T00:00:00Z'), end_date: d('2026-11-30T00:00:00Z'), now }))).to.equal(null);
    expect(view(nextRunInfo(once, opts({ now })))).to.deep.equal(run('2026-11-21T06:00:00Z', '2026-11-21T06:00:00Z'));
  });

  it('@continuous: first run covers [start_date, now], the next [previous end, now]', () => {
    const first = nextRunInfo(continuous, opts({ start_date: d('2026-11-21T00:00:00Z'), now }));
    expect(view(first)).to.deep.equal(run('2026-11-21T00:00:00Z', '2026-11-21T06:00:00Z'));
    const second = nextRunInfo(
      continuous,
      opts({ start_date: d('2026-11-21T00:00:00Z'), last_automated: first?.data_interval ?? null, now: d('2026-11-21T06:05:00Z') }),
    );
    expect(view(second)).to.deep.equal(run('2026-11-21T06:00:00Z', '2026-11-21T06:05:00Z'));
  });

  it('@continuous: a future start_date waits for it; no start_date starts now; end_date stops it', () => {
    expect(view(nextRunInfo(continuous, opts({ start_date: d('2026-12-01T00:00:00Z'), now })))).to.deep.equal(
      run('2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z'),
    );
    expect(view(nextRunInfo(continuous, opts({ now })))).to.deep.equal(run('2026-11-21T06:00:00Z', '2026-11-21T06:00:00Z'));
    expect(
      nextRunInfo(continuous, opts({ start_date: d('2026-11-01T00:00:00Z'), end_date: d('2026-11-20T00:00:00Z'), now })),
    ).to.equal(null);
  });

  it('none: never', () => {
    expect(nextRunInfo(compileSchedule(null, 'UTC'), opts({ start_date: d('2026-01-01T00:00:00Z'), catchup: true, now }))).to.equal(null);
  });

  it('rejects an invalid Date', () => {
    expect(() => nextRunInfo(compileSchedule('@daily', 'UTC'), opts({ now: new Date('nope') }))).to.throw(Error, /now: expected a valid Date/);
  });
});

describe('manualRunInfo', () => {
  it('cron: the last complete interval at the logical date (Airflow infer_manual_data_interval)', () => {
    const r = manualRunInfo(compileSchedule('@daily', 'UTC'), d('2026-11-20T06:00:00Z'));
    expect(view(r)).to.deep.equal({
      logical: '2026-11-20T06:00:00.000Z',
      start: '2026-11-19T00:00:00.000Z',
      end: '2026-11-20T00:00:00.000Z',
      after: '2026-11-20T06:00:00.000Z',
    });
  });

  it('cron: a logical date on a tick gets the interval ending there', () => {
    const r = manualRunInfo(compileSchedule('0 6 * * *', 'UTC'), d('2026-11-20T06:00:00Z'));
    expect(r.data_interval.start.toISOString()).to.equal('2026-11-19T06:00:00.000Z');
    expect(r.data_interval.end.toISOString()).to.equal('2026-11-20T06:00:00.000Z');
  });

  it('cron: aligned in the schedule time zone (23 h day after spring-forward)', () => {
    const r = manualRunInfo(compileSchedule('@daily', 'Europe/Amsterdam'), d('2026-03-30T06:00:00Z'));
    expect(r.data_interval.start.toISOString()).to.equal('2026-03-28T23:00:00.000Z');
    expect(r.data_interval.end.toISOString()).to.equal('2026-03-29T22:00:00.000Z');
  });

  it('interval: [logical_date - interval, logical_date]', () => {
    const r = manualRunInfo(compileSchedule('PT1H', 'UTC'), d('2026-11-20T06:17:00Z'));
    expect(view(r)).to.deep.equal({
      logical: '2026-11-20T06:17:00.000Z',
      start: '2026-11-20T05:17:00.000Z',
      end: '2026-11-20T06:17:00.000Z',
      after: '2026-11-20T06:17:00.000Z',
    });
  });

  it('none / once / continuous: a zero-length interval at the logical date', () => {
    for (const input of [null, '@once', '@continuous']) {
      const r = manualRunInfo(compileSchedule(input, 'UTC'), d('2026-11-20T06:17:00Z'));
      expect(view(r), String(input)).to.deep.equal(run('2026-11-20T06:17:00Z', '2026-11-20T06:17:00Z'));
    }
  });
});

describe('backfillRunInfos', () => {
  const daily = compileSchedule('@daily', 'UTC');
  const range = (from: string, to: string, start_date: string | null = null, end_date: string | null = null) => ({
    from: d(from),
    to: d(to),
    start_date: start_date === null ? null : d(start_date),
    end_date: end_date === null ? null : d(end_date),
  });
  const logicalDays = (runs: RunInfo[]) => runs.map((r) => r.logical_date.toISOString().slice(0, 10));

  it('includes runs whose logical date equals from and to (inclusive), in order', () => {
    const runs = backfillRunInfos(daily, range('2026-11-01T00:00:00Z', '2026-11-05T00:00:00Z'));
    expect(logicalDays(runs)).to.deep.equal(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05']);
    expect(view(runs[0] ?? null)).to.deep.equal(run('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'));
  });

  it('excludes intervals starting before from or after to', () => {
    const runs = backfillRunInfos(daily, range('2026-11-01T00:00:01Z', '2026-11-04T23:59:59Z'));
    expect(logicalDays(runs)).to.deep.equal(['2026-11-02', '2026-11-03', '2026-11-04']);
  });

  it('honours start_date and end_date', () => {
    const runs = backfillRunInfos(
      daily,
      range('2026-11-01T00:00:00Z', '2026-11-30T00:00:00Z', '2026-11-10T12:00:00Z', '2026-11-13T00:00:00Z'),
    );
    expect(logicalDays(runs)).to.deep.equal(['2026-11-11', '2026-11-12', '2026-11-13']);
  });

  it('returns nothing when the range holds no tick', () => {
    expect(backfillRunInfos(daily, range('2026-11-01T01:00:00Z', '2026-11-01T23:00:00Z'))).to.deep.equal([]);
  });

  it('interval schedules are aligned to start_date, else start at from', () => {
    const every6h = compileSchedule({ hours: 6 }, 'UTC');
    const aligned = backfillRunInfos(every6h, range('2026-11-01T02:00:00Z', '2026-11-01T19:00:00Z', '2026-01-01T01:00:00Z'));
    expect(aligned.map((r) => r.logical_date.toISOString())).to.deep.equal([
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T13:00:00.000Z',
      '2026-11-01T19:00:00.000Z',
    ]);
    const free = backfillRunInfos(every6h, range('2026-11-01T02:00:00Z', '2026-11-01T19:00:00Z'));
    expect(free.map((r) => r.logical_date.toISOString())).to.deep.equal([
      '2026-11-01T02:00:00.000Z',
      '2026-11-01T08:00:00.000Z',
      '2026-11-01T14:00:00.000Z',
    ]);
  });

  it('hourly backfill across the fall-back day has 25 runs', () => {
    const runs = backfillRunInfos(
      compileSchedule('@hourly', 'Europe/Amsterdam'),
      range('2026-10-24T22:00:00Z', '2026-10-25T22:00:00Z'),
    );
    expect(runs).to.have.length(25);
    expect(new Set(runs.map((r) => r.logical_date.getTime())).size).to.equal(25);
    expect(lengthsH(runs).every((h) => h === 1)).to.equal(true);
  });

  it('needs a cron or interval schedule', () => {
    for (const input of [null, '@once', '@continuous']) {
      expect(() => backfillRunInfos(compileSchedule(input, 'UTC'), range('2026-11-01T00:00:00Z', '2026-11-05T00:00:00Z'))).to.throw(
        Error,
        'backfill needs a cron or interval schedule',
      );
    }
  });

  it('rejects a reversed range', () => {
    expect(() => backfillRunInfos(daily, range('2026-11-05T00:00:00Z', '2026-11-01T00:00:00Z'))).to.throw(Error, /reversed/);
  });

  it('allows exactly 10000 runs and refuses more with a clear error', () => {
    const minutely = compileSchedule(60, 'UTC');
    const from = '2026-01-01T00:00:00Z';
    const runs = backfillRunInfos(minutely, range(from, new Date(d(from).getTime() + 9_999 * 60_000).toISOString()));
    expect(runs).to.have.length(10_000);
    expect(() => backfillRunInfos(minutely, range(from, new Date(d(from).getTime() + 10_000 * 60_000).toISOString()))).to.throw(
      Error,
      /backfill would create more than 10000 runs .*split it into smaller date ranges/,
    );
  });

  it('applies the cap to cron schedules too', () => {
    expect(() =>
      backfillRunInfos(compileSchedule('*/5 * * * *', 'UTC'), range('2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z')),
    ).to.throw(Error, /more than 10000 runs/);
  });
});
