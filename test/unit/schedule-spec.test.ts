import { expect } from 'chai';
import {
  compileSchedule,
  describeSchedule,
} from '../../core/schedule/index.ts';

/*
 * Expected instants were worked out by hand from Airflow's timetable code
 * (interval.py, _cron.py, simple.py) and the Europe/Amsterdam rules:
 * CET = UTC+1, CEST = UTC+2; 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z),
 * 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).
 */


describe('compileSchedule', () => {
  const presets: [string, string][] = [
    ['@hourly', '0 * * * *'],
    ['@daily', '0 0 * * *'],
    ['@midnight', '0 0 * * *'],
    ['@weekly', '0 0 * * 0'],
    ['@monthly', '0 0 1 * *'],
    ['@quarterly', '0 0 1 */3 *'],
    ['@yearly', '0 0 1 1 *'],
    ['@annually', '0 0 1 1 *'],
  ];
  for (const [preset, expression] of presets) {
    it(`resolves ${preset} to "${expression}"`, () => {
      expect(compileSchedule(preset, 'Europe/Amsterdam')).to.deep.equal({
        kind: 'cron',
        expression,
        timezone: 'Europe/Amsterdam',
      });
    });
  }

  it('accepts presets case-insensitively', () => {
    expect(compileSchedule('@DAILY', 'UTC')).to.deep.equal({ kind: 'cron', expression: '0 0 * * *', timezone: 'UTC' });
  });

  it('keeps a cron expression with normalized whitespace', () => {
    expect(compileSchedule('  0  6 * *\t* ', 'UTC')).to.deep.equal({ kind: 'cron', expression: '0 6 * * *', timezone: 'UTC' });
  });

  it('accepts lists, ranges, steps, names, L and #', () => {
    for (const expr of ['0,30 6-18/2 * * MON-FRI', '15 3 L * *', '0 0 * JAN,jul 1#2', '*/5 * ? * *', '0 0 * * 7']) {
      expect(compileSchedule(expr, 'UTC')).to.deep.equal({ kind: 'cron', expression: expr, timezone: 'UTC' });
    }
  });

  it('compiles intervals from seconds, ISO-8601 and objects', () => {
    expect(compileSchedule(3600, 'UTC')).to.deep.equal({ kind: 'interval', interval_ms: 3_600_000, timezone: 'UTC' });
    expect(compileSchedule(0.5, 'UTC')).to.deep.equal({ kind: 'interval', interval_ms: 500, timezone: 'UTC' });
    expect(compileSchedule('PT1H', 'UTC')).to.deep.equal({ kind: 'interval', interval_ms: 3_600_000, timezone: 'UTC' });
    expect(compileSchedule('P1DT30M', 'Europe/Amsterdam')).to.deep.equal({
      kind: 'interval',
      interval_ms: 86_400_000 + 1_800_000,
      timezone: 'Europe/Amsterdam',
    });
    expect(compileSchedule('P1W', 'UTC')).to.deep.equal({ kind: 'interval', interval_ms: 7 * 86_400_000, timezone: 'UTC' });
    expect(compileSchedule({ hours: 1, minutes: 30 }, 'UTC')).to.deep.equal({
      kind: 'interval',
      interval_ms: 5_400_000,
      timezone: 'UTC',
    });
    expect(compileSchedule({ days: 1 }, 'UTC')).to.deep.equal({ kind: 'interval', interval_ms: 86_400_000, timezone: 'UTC' });
  });

  it('compiles none, once and continuous', () => {
    expect(compileSchedule(null, 'UTC')).to.deep.equal({ kind: 'none' });
    expect(compileSchedule(undefined, 'UTC')).to.deep.equal({ kind: 'none' });
    expect(compileSchedule('None', 'UTC')).to.deep.equal({ kind: 'none' });
    expect(compileSchedule('@once', 'UTC')).to.deep.equal({ kind: 'once' });
    expect(compileSchedule('@continuous', 'UTC')).to.deep.equal({ kind: 'continuous' });
  });

  const bad: [unknown, RegExp][] = [
    ['0 25 * * *', /^invalid schedule "0 25 \* \* \*": hour 25 out of range 0-23$/],
    ['60 * * * *', /^invalid schedule "60 \* \* \* \*": minute 60 out of range 0-59$/],
    ['0 0 32 * *', /day-of-month 32 out of range 1-31/],
    ['0 0 0 * *', /day-of-month 0 out of range 1-31/],
    ['0 0 * 13 *', /month 13 out of range 1-12/],
    ['0 0 * * 8', /day-of-week 8 out of range 0-7/],
    ['0 0 * * FUNDAY', /day-of-week "FUNDAY" is not a number or name/],
    ['x * * * *', /minute "x" is not a number/],
    ['* * *', /^invalid schedule "\* \* \*": expected 5 fields .* got 3$/],
    ['0 0 0 * * *', /expected 5 fields .* got 6/],
    ['5-1 * * * *', /minute range 5-1 is reversed/],
    ['*/0 * * * *', /step must be at least 1/],
    ['1,,2 * * * *', /minute: empty list element/],
    ['H * * * *', /hashed values \(H\) are not supported/],
    ['0 0 30 2 *', /^invalid schedule "0 0 30 2 \*": it never fires/],
    ['@fortnightly', /^invalid schedule "@fortnightly": unknown preset/],
    ['', /^invalid schedule "": empty/],
  ];
  for (const [input, message] of bad) {
    it(`rejects cron ${JSON.stringify(input)} with a clear message`, () => {
      expect(() => compileSchedule(input, 'UTC')).to.throw(Error, message);
    });
  }

  const badDurations: [unknown, RegExp][] = [
    ['P1M', /^invalid schedule "P1M": months and years have no fixed length/],
    ['P1Y', /months and years have no fixed length/],
    ['PXX', /^invalid schedule "PXX": not a valid ISO-8601 duration/],
    ['PT0S', /^invalid schedule "PT0S": an interval must be longer than zero/],
    [0, /^invalid schedule 0: an interval must be longer than zero/],
    [-60, /^invalid schedule -60: expected a non-negative number of seconds/],
    [Number.NaN, /^invalid schedule null: expected a non-negative number of seconds/],
    [{ weeks: 1 }, /^invalid schedule \{"weeks":1\}: unknown duration field "weeks"/],
    [{}, /^invalid schedule \{\}: an interval must be longer than zero/],
    [true, /^invalid schedule true: expected a cron string/],
    // A list is an asset schedule now: a cron string in it is a bad asset URI.
    [['0 0 * * *'], /^invalid schedule: entry 0: invalid asset URI "0 0 \* \* \*": it contains whitespace/],
  ];
  for (const [input, message] of badDurations) {
    it(`rejects ${JSON.stringify(input)} with a clear message`, () => {
      expect(() => compileSchedule(input, 'UTC')).to.throw(Error, message);
    });
  }

  it('rejects unknown time zones, whatever the schedule', () => {
    expect(() => compileSchedule('@daily', 'Mars/Olympus')).to.throw(
      Error,
      /^invalid time zone "Mars\/Olympus": not an IANA time zone name/,
    );
    expect(() => compileSchedule(null, '')).to.throw(Error, /^invalid time zone "":/);
    expect(() => compileSchedule(3600, 'CEST+2')).to.throw(Error, /invalid time zone "CEST\+2"/);
  });
});

describe('describeSchedule', () => {
  it('prints a short text per kind', () => {
    expect(describeSchedule(compileSchedule('0 6 * * *', 'UTC'))).to.equal('0 6 * * *');
    expect(describeSchedule(compileSchedule('@daily', 'UTC'))).to.equal('0 0 * * *');
    expect(describeSchedule(compileSchedule('@once', 'UTC'))).to.equal('@once');
    expect(describeSchedule(compileSchedule('@continuous', 'UTC'))).to.equal('@continuous');
    expect(describeSchedule(compileSchedule(null, 'UTC'))).to.equal('None');
    expect(describeSchedule(compileSchedule('PT1H', 'UTC'))).to.equal('every 1h');
    expect(describeSchedule(compileSchedule({ days: 1, hours: 2, minutes: 30 }, 'UTC'))).to.equal('every 1d 2h 30m');
    expect(describeSchedule(compileSchedule(90.5, 'UTC'))).to.equal('every 1m 30s 500ms');
  });
});

