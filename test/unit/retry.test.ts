import { expect } from 'chai';
import { MAX_RETRY_DELAY_S, canRetry, pythonUtcDatetimeStr, retryDelayMs, type RetryPolicy } from '../../core/rules/index.ts';

/*
 * Expected numbers were computed independently with Python 3.11 and hashlib, mirroring
 * Airflow's TaskInstance.next_retry_datetime, e.g. for (etl, extract, 2026-11-20, try 2, 300 s):
 *
 *   python3 -c "import hashlib,math;from datetime import datetime,timezone as tz;ld=datetime(2026,11,20,tzinfo=tz.utc);n=2;b=300;mb=max(1,math.ceil(b*2**(n-1)));h=int(hashlib.sha1(f'etl#extract#{ld}#{n}'.encode()).hexdigest(),16);print(min(mb+h%mb,86400))"
 *   -> 1165
 *
 * (same one-liner with the other dag/task/date/try/base values below).
 */

const D = new Date('2026-11-20T00:00:00Z');
const backoff = (retry_delay_s: number, max_retry_delay_ms: number | null = null): RetryPolicy =>
  ({ retry_delay_ms: retry_delay_s * 1000, retry_exponential_backoff: true, max_retry_delay_ms });
const key = (try_number: number, logical_date: Date | null = D, dag_id = 'etl', task_id = 'extract') =>
  ({ dag_id, task_id, logical_date, try_number });

describe('pythonUtcDatetimeStr', () => {
  it('prints like Python str() of a UTC-aware datetime', () => {
    expect(pythonUtcDatetimeStr(D)).to.equal('2026-11-20 00:00:00+00:00');
  });
  it('adds 6-digit microseconds only when non-zero', () => {
    expect(pythonUtcDatetimeStr(new Date('2026-11-20T06:30:15.123Z'))).to.equal('2026-11-20 06:30:15.123000+00:00');
    expect(pythonUtcDatetimeStr(new Date('1999-01-02T03:04:05.007Z'))).to.equal('1999-01-02 03:04:05.007000+00:00');
  });
  it('pads the year to 4 digits', () => {
    expect(pythonUtcDatetimeStr(new Date('0005-01-01T00:00:00Z'))).to.equal('0005-01-01 00:00:00+00:00');
  });
  it('prints None for a null logical date', () => {
    expect(pythonUtcDatetimeStr(null)).to.equal('None');
  });
  it('rejects an invalid Date', () => {
    expect(() => pythonUtcDatetimeStr(new Date('nope'))).to.throw(RangeError);
  });
});

describe('retryDelayMs without backoff', () => {
  const p: RetryPolicy = { retry_delay_ms: 300_000, retry_exponential_backoff: false, max_retry_delay_ms: null };
  it('is retry_delay for every try', () => {
    for (const n of [1, 2, 7]) expect(retryDelayMs(p, key(n))).to.equal(300_000);
  });
  it('keeps sub-second precision', () => {
    expect(retryDelayMs({ ...p, retry_delay_ms: 1500 }, key(1))).to.equal(1500);
  });
  it('ignores max_retry_delay (Airflow applies it only with backoff)', () => {
    expect(retryDelayMs({ ...p, max_retry_delay_ms: 1000 }, key(1))).to.equal(300_000);
  });
});

describe('retryDelayMs with exponential backoff (values from Python)', () => {
  const cases: Array<[string, number, ReturnType<typeof key>, number]> = [
    ['try 1, 300 s', 300, key(1), 413],
    ['try 2, 300 s', 300, key(2), 1165],
    ['try 3, 300 s', 300, key(3), 1713],
    ['try 4, 300 s', 300, key(4), 4029],
    ['try 8, 300 s', 300, key(8), 53584],
    ['try 2, 60 s', 60, key(2), 205],
    ['logical date with milliseconds', 300, key(1, new Date('2026-11-20T06:30:15.123Z')), 452],
    ['null logical date ("None")', 300, key(1, null), 599],
    ['non-ASCII task id (UTF-8)', 300, key(1, D, 'etl', 'café'), 324],
    ['other dag, 45 s, try 4, 1999 date with ms', 45, key(4, new Date('1999-01-02T03:04:05.007Z'), 'daily_sales', 'load'), 367],
    ['retry_delay 0 -> min_backoff floored at 1 s', 0, key(1), 1],
    ['retry_delay 1.5 s -> ceil to 2 s', 1.5, key(1), 3],
  ];
  for (const [name, base, k, seconds] of cases) {
    it(`${name} -> ${seconds} s`, () => {
      expect(retryDelayMs(backoff(base), k)).to.equal(seconds * 1000);
    });
  }

  it('jitter stays in [min_backoff, 2*min_backoff)', () => {
    for (let n = 1; n <= 8; n++) {
      const mb = 300 * 2 ** (n - 1);
      const s = retryDelayMs(backoff(300), key(n)) / 1000;
      expect(s, `try ${n}`).to.be.at.least(mb).and.below(2 * mb);
      expect(Number.isInteger(s)).to.equal(true);
    }
  });

  it('is deterministic per (dag, task, date, try) and varies with the try', () => {
    expect(retryDelayMs(backoff(300), key(2))).to.equal(retryDelayMs(backoff(300), key(2)));
    expect(retryDelayMs(backoff(300), key(1, D, 'etl', 'other'))).to.not.equal(retryDelayMs(backoff(300), key(1)));
  });
});

describe('retryDelayMs caps', () => {
  it('caps the backoff at 24 h (Python: try 10, 300 s -> 86400)', () => {
    expect(MAX_RETRY_DELAY_S).to.equal(86_400);
    expect(retryDelayMs(backoff(300), key(10))).to.equal(86_400_000);
  });
  it('caps at 24 h for absurd try numbers without overflowing', () => {
    expect(retryDelayMs(backoff(300), key(5000))).to.equal(86_400_000);
    expect(retryDelayMs(backoff(1), key(60))).to.equal(86_400_000);
  });
  it('applies max_retry_delay after the jitter (Python: 1165 s capped to 999.5 s)', () => {
    expect(retryDelayMs(backoff(300, 999_500), key(2))).to.equal(999_500);
  });
  it('leaves the delay alone when max_retry_delay is larger', () => {
    expect(retryDelayMs(backoff(300, 2_000_000), key(2))).to.equal(1_165_000);
  });
  it('treats max_retry_delay 0 as unset, like Python truthiness', () => {
    expect(retryDelayMs(backoff(300, 0), key(2))).to.equal(1_165_000);
  });
  it('rejects a negative retry delay and a fractional try number', () => {
    expect(() => retryDelayMs(backoff(-1), key(1))).to.throw(RangeError);
    expect(() => retryDelayMs(backoff(300), key(1.5))).to.throw(RangeError);
  });
});

describe('canRetry', () => {
  it('retries while try_number <= max_tries (try_number counts attempts from 1)', () => {
    // retries = 2: tries 1 and 2 are retried, try 3 is final.
    expect(canRetry(1, 2)).to.equal(true);
    expect(canRetry(2, 2)).to.equal(true);
    expect(canRetry(3, 2)).to.equal(false);
  });
  it('never retries with retries = 0', () => {
    expect(canRetry(1, 0)).to.equal(false);
  });
});
