/**
 * Cron text -> validated 5-field expression.
 *
 * cron-parser validates too, but its messages do not say which field is wrong
 * ("Constraint error, got value 25 expected range 0-23") and it accepts things
 * Airflow's croniter does not mean the same way (6-field seconds, `H` jitter,
 * fewer than 5 fields). So we check the grammar ourselves, naming the field,
 * and only then hand the expression to cron-parser.
 */

/** Airflow's cron_presets plus croniter's @midnight / @annually aliases. */
export const CRON_PRESETS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[]; // index + offset = value
  namesOffset?: number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const FIELDS: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesOffset: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: DAYS, namesOffset: 0 }, // 0 and 7 are Sunday
];

/** Error type whose message is only the reason; the caller prefixes the bad value. */
export class CronSyntaxError extends Error {}

function parseValue(text: string, rule: FieldRule): number {
  let value: number;
  if (/^\d+$/.test(text)) {
    value = Number(text);
  } else {
    const idx = rule.names?.indexOf(text.toUpperCase() as never) ?? -1;
    if (idx < 0) {
      if (/^H/i.test(text)) throw new CronSyntaxError(`${rule.name} "${text}": hashed values (H) are not supported`);
      throw new CronSyntaxError(`${rule.name} "${text}" is not a number${rule.names ? ' or name' : ''}`);
    }
    value = idx + (rule.namesOffset ?? 0);
  }
  if (value < rule.min || value > rule.max) {
    throw new CronSyntaxError(`${rule.name} ${value} out of range ${rule.min}-${rule.max}`);
  }
  return value;
}

function checkItem(item: string, rule: FieldRule): void {
  if (item === '') throw new CronSyntaxError(`${rule.name}: empty list element`);
  // Special forms cron-parser and croniter agree on.
  if (rule.name === 'day-of-month' && item.toUpperCase() === 'L') return; // last day of month
  if (rule.name === 'day-of-week' && item.includes('#')) {
    const [day = '', nth = ''] = item.split('#');
    parseValue(day, rule);
    if (!/^[1-5]$/.test(nth)) throw new CronSyntaxError(`${rule.name} "${item}": the n in day#n must be 1-5`);
    return;
  }
  const parts = item.split('/');
  if (parts.length > 2) throw new CronSyntaxError(`${rule.name} "${item}": more than one "/"`);
  const [base = '', step] = parts;
  if (step !== undefined) {
    if (!/^\d+$/.test(step)) throw new CronSyntaxError(`${rule.name} "${item}": step "${step}" is not a number`);
    if (Number(step) < 1) throw new CronSyntaxError(`${rule.name} "${item}": step must be at least 1`);
  }
  if (base === '*' || base === '?') return;
  const bounds = base.split('-');
  if (bounds.length > 2) throw new CronSyntaxError(`${rule.name} "${item}" is not a valid range`);
  const [lo = '', hi] = bounds;
  const from = parseValue(lo, rule);
  if (hi !== undefined) {
    const to = parseValue(hi, rule);
    if (from > to) throw new CronSyntaxError(`${rule.name} range ${base} is reversed (${from} > ${to})`);
  }
}

/**
 * Resolve a preset and check a 5-field expression. Returns the expression with
 * whitespace normalized; throws CronSyntaxError with a reason naming the field.
 */
export function normalizeCron(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('@')) {
    const preset = CRON_PRESETS[trimmed.toLowerCase()];
    if (preset === undefined) {
      throw new CronSyntaxError(
        `unknown preset (use @once, @continuous, ${Object.keys(CRON_PRESETS).join(', ')})`,
      );
    }
    return preset;
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== FIELDS.length) {
    throw new CronSyntaxError(
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${trimmed === '' ? 0 : fields.length}`,
    );
  }
  fields.forEach((field, i) => {
    const rule = FIELDS[i];
    if (rule === undefined) return;
    for (const item of field.split(',')) checkItem(item, rule);
  });
  return fields.join(' ');
}
