/**
 * Python's strftime/strptime (and pendulum's `format` tokens) over luxon DateTimes.
 * Airflow templates use Python format codes (`macros.ds_format(ds, '%Y-%m-%d', '%d/%m/%Y')`,
 * `logical_date.strftime('%Y%m%d')`), which luxon does not speak. Names are English (the C
 * locale Airflow workers normally run with), so output does not depend on the host locale.
 */
import { DateTime, FixedOffsetZone } from 'luxon';
import { TemplateError } from './errors.ts';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

const pad = (n: number, width: number, on = true): string => (on ? String(n).padStart(width, '0') : String(n));

function dayName(dt: DateTime): string {
  return DAYS[dt.weekday - 1] ?? '';
}
function monthName(dt: DateTime): string {
  return MONTHS[dt.month - 1] ?? '';
}

/** ±HHMM (Python %z) or ±HH:MM (isoformat); '' for naive values. */
export function formatOffset(dt: DateTime, naive: boolean, colon: boolean): string {
  if (naive) return '';
  const total = dt.offset;
  const sign = total < 0 ? '-' : '+';
  const abs = Math.abs(total);
  return `${sign}${pad(Math.floor(abs / 60), 2)}${colon ? ':' : ''}${pad(abs % 60, 2)}`;
}

function formatCode(dt: DateTime, code: string, padOn: boolean, naive: boolean): string | null {
  const micro = dt.millisecond * 1000;
  const weekdaySun0 = dt.weekday % 7;
  switch (code) {
    case 'a': return dayName(dt).slice(0, 3);
    case 'A': return dayName(dt);
    case 'b': case 'h': return monthName(dt).slice(0, 3);
    case 'B': return monthName(dt);
    case 'c': return `${dayName(dt).slice(0, 3)} ${monthName(dt).slice(0, 3)} ${String(dt.day).padStart(2, ' ')} ${pad(dt.hour, 2)}:${pad(dt.minute, 2)}:${pad(dt.second, 2)} ${dt.year}`;
    case 'd': return pad(dt.day, 2, padOn);
    case 'e': return padOn ? String(dt.day).padStart(2, ' ') : String(dt.day);
    case 'f': return pad(micro, 6);
    case 'H': return pad(dt.hour, 2, padOn);
    case 'I': return pad(dt.hour % 12 || 12, 2, padOn);
    case 'p': return dt.hour < 12 ? 'AM' : 'PM';
    case 'j': return pad(dt.ordinal, 3, padOn);
    case 'm': return pad(dt.month, 2, padOn);
    case 'M': return pad(dt.minute, 2, padOn);
    case 'S': return pad(dt.second, 2, padOn);
    case 'y': return pad(dt.year % 100, 2, padOn);
    case 'Y': return pad(dt.year, 4);
    case 'G': return pad(dt.weekYear, 4);
    case 'V': return pad(dt.weekNumber, 2, padOn);
    case 'u': return String(dt.weekday);
    case 'w': return String(weekdaySun0);
    case 'U': return pad(Math.floor((dt.ordinal - 1 + 7 - weekdaySun0) / 7), 2, padOn);
    case 'W': return pad(Math.floor((dt.ordinal - 1 + 7 - (dt.weekday - 1)) / 7), 2, padOn);
    case 'z': return formatOffset(dt, naive, false);
    case 'Z': return naive ? '' : dt.zoneName === 'UTC' ? 'UTC' : (dt.offsetNameShort ?? formatOffset(dt, false, true));
    case 'x': case 'D': return `${pad(dt.month, 2)}/${pad(dt.day, 2)}/${pad(dt.year % 100, 2)}`;
    case 'X': case 'T': return `${pad(dt.hour, 2)}:${pad(dt.minute, 2)}:${pad(dt.second, 2)}`;
    case 'F': return `${pad(dt.year, 4)}-${pad(dt.month, 2)}-${pad(dt.day, 2)}`;
    case 'R': return `${pad(dt.hour, 2)}:${pad(dt.minute, 2)}`;
    case 's': return String(Math.floor(dt.toSeconds()));
    case 'n': return '\n';
    case 't': return '\t';
    case '%': return '%';
    default: return null;
  }
}

/** Python `strftime` (glibc flavour: `%-d` drops padding; unknown codes are kept as written). */
export function strftime(dt: DateTime, fmt: string, naive = false): string {
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i] as string;
    if (ch !== '%' || i === fmt.length - 1) {
      out += ch;
      continue;
    }
    let code = fmt[++i] as string;
    let padOn = true;
    if (code === '-' && i + 1 < fmt.length) {
      padOn = false;
      code = fmt[++i] as string;
    }
    out += formatCode(dt, code, padOn, naive) ?? `%${padOn ? '' : '-'}${code}`;
  }
  return out;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const namesRe = (names: readonly string[]): string => names.flatMap((n) => [n, n.slice(0, 3)]).join('|');

const STRPTIME_PATTERNS: Readonly<Record<string, string>> = {
  d: '(?<d>\\d{1,2})', e: '\\s?(?<d>\\d{1,2})', m: '(?<m>\\d{1,2})', H: '(?<H>\\d{1,2})', I: '(?<I>\\d{1,2})',
  M: '(?<M>\\d{1,2})', S: '(?<S>\\d{1,2})', j: '(?<j>\\d{1,3})', Y: '(?<Y>\\d{4})', y: '(?<y>\\d{2})',
  f: '(?<f>\\d{1,6})', p: '(?<p>AM|PM)', z: '(?<z>Z|[+-]\\d{2}:?\\d{2})', Z: '(?<Z>UTC|GMT)',
  b: `(?<b>${namesRe(MONTHS)})`, h: `(?<b>${namesRe(MONTHS)})`, B: `(?<b>${namesRe(MONTHS)})`,
  a: `(?:${namesRe(DAYS)})`, A: `(?:${namesRe(DAYS)})`, '%': '%',
};

export interface ParsedTime {
  dt: DateTime;
  /** True unless the format had %z: Python returns a naive datetime then. */
  naive: boolean;
}

/** Python `datetime.strptime`: the whole string must match; names are case-insensitive. */
export function strptime(text: string, fmt: string): ParsedTime {
  let re = '';
  const seen = new Set<string>();
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i] as string;
    if (ch === '%' && i < fmt.length - 1) {
      let code = fmt[++i] as string;
      if (code === '-' && i < fmt.length - 1) code = fmt[++i] as string;
      const pattern = STRPTIME_PATTERNS[code];
      if (pattern === undefined) throw new TemplateError(`'${code}' is a bad directive in format '${fmt}'`);
      // A second occurrence of a directive must not redefine the named group.
      const group = /\(\?<(\w)>/.exec(pattern)?.[1];
      if (group !== undefined && seen.has(group)) re += pattern.replace(/\(\?<\w>/, '(?:');
      else re += pattern;
      if (group !== undefined) seen.add(group);
    } else if (/\s/.test(ch)) {
      re += '\\s+';
      while (i + 1 < fmt.length && /\s/.test(fmt[i + 1] as string)) i++;
    } else {
      re += escapeRe(ch);
    }
  }
  const m = new RegExp(`^${re}$`, 'i').exec(text);
  if (!m?.groups) throw new TemplateError(`time data '${text}' does not match format '${fmt}'`);
  const g = m.groups;
  const num = (k: string): number | undefined => (g[k] === undefined ? undefined : Number(g[k]));

  let year = num('Y') ?? 1900;
  const y2 = num('y');
  if (y2 !== undefined && g.Y === undefined) year = y2 < 69 ? 2000 + y2 : 1900 + y2;
  let month = num('m') ?? 1;
  if (g.b !== undefined) {
    const want = g.b.toLowerCase();
    month = MONTHS.findIndex((n) => n.toLowerCase() === want || n.slice(0, 3).toLowerCase() === want) + 1;
  }
  let day = num('d') ?? 1;
  let hour = num('H') ?? 0;
  const h12 = num('I');
  if (h12 !== undefined) hour = (h12 % 12) + (g.p?.toUpperCase() === 'PM' ? 12 : 0);
  const micro = g.f === undefined ? 0 : Number(g.f.padEnd(6, '0'));

  const yday = num('j');
  if (yday !== undefined && g.m === undefined && g.b === undefined && g.d === undefined) {
    const d = DateTime.utc(year, 1, 1).plus({ days: yday - 1 });
    month = d.month;
    day = d.day;
  }

  let zone: FixedOffsetZone | 'utc' = 'utc';
  const z = g.z;
  if (z !== undefined && z.toUpperCase() !== 'Z') {
    const sign = z.startsWith('-') ? -1 : 1;
    const digits = z.slice(1).replace(':', '');
    zone = FixedOffsetZone.instance(sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))));
  }
  const dt = DateTime.fromObject(
    { year, month, day, hour, minute: num('M') ?? 0, second: num('S') ?? 0, millisecond: Math.floor(micro / 1000) },
    { zone },
  );
  if (!dt.isValid) throw new TemplateError(`time data '${text}' does not match format '${fmt}' (${dt.invalidExplanation ?? 'invalid date'})`);
  return { dt, naive: z === undefined };
}

/** pendulum's `format()` tokens (YYYY-MM-DD HH:mm:ss, `[literal]`), the subset templates use. */
const PENDULUM_TOKENS: ReadonlyArray<readonly [string, (dt: DateTime, naive: boolean) => string]> = [
  ['YYYY', (d) => pad(d.year, 4)],
  ['YY', (d) => pad(d.year % 100, 2)],
  ['MMMM', (d) => monthName(d)],
  ['MMM', (d) => monthName(d).slice(0, 3)],
  ['MM', (d) => pad(d.month, 2)],
  ['M', (d) => String(d.month)],
  ['DDDD', (d) => pad(d.ordinal, 3)],
  ['DDD', (d) => String(d.ordinal)],
  ['DD', (d) => pad(d.day, 2)],
  ['Do', (d) => `${d.day}${ordinalSuffix(d.day)}`],
  ['D', (d) => String(d.day)],
  ['dddd', (d) => dayName(d)],
  ['ddd', (d) => dayName(d).slice(0, 3)],
  ['d', (d) => String(d.weekday % 7)],
  ['HH', (d) => pad(d.hour, 2)],
  ['H', (d) => String(d.hour)],
  ['hh', (d) => pad(d.hour % 12 || 12, 2)],
  ['h', (d) => String(d.hour % 12 || 12)],
  ['mm', (d) => pad(d.minute, 2)],
  ['m', (d) => String(d.minute)],
  ['ss', (d) => pad(d.second, 2)],
  ['s', (d) => String(d.second)],
  ['SSSSSS', (d) => pad(d.millisecond * 1000, 6)],
  ['SSS', (d) => pad(d.millisecond, 3)],
  ['S', (d) => String(Math.floor(d.millisecond / 100))],
  ['A', (d) => (d.hour < 12 ? 'AM' : 'PM')],
  ['a', (d) => (d.hour < 12 ? 'am' : 'pm')],
  ['ZZ', (d, naive) => formatOffset(d, naive, false)],
  ['Z', (d, naive) => formatOffset(d, naive, true)],
  ['z', (d, naive) => (naive ? '' : d.zoneName ?? '')],
  ['X', (d) => String(Math.floor(d.toSeconds()))],
  ['x', (d) => String(d.toMillis())],
];

function ordinalSuffix(n: number): string {
  if (n % 100 >= 11 && n % 100 <= 13) return 'th';
  return ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
}

export function pendulumFormat(dt: DateTime, fmt: string, naive = false): string {
  let out = '';
  let i = 0;
  outer: while (i < fmt.length) {
    if (fmt[i] === '[') {
      const end = fmt.indexOf(']', i + 1);
      if (end !== -1) {
        out += fmt.slice(i + 1, end);
        i = end + 1;
        continue;
      }
    }
    for (const [token, render] of PENDULUM_TOKENS) {
      if (fmt.startsWith(token, i)) {
        out += render(dt, naive);
        i += token.length;
        continue outer;
      }
    }
    out += fmt[i];
    i++;
  }
  return out;
}
