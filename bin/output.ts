/** `-o table|json` output, as Airflow's CLI prints it. */
import os from 'node:os';
import { DateTime } from 'luxon';
import { UserInputError } from '../core/errors.ts';
export type OutputFormat = 'table' | 'json';

export function parseFormat(value: string): OutputFormat {
  if (value !== 'table' && value !== 'json') throw new Error(`unknown output format "${value}" (use table or json)`);
  return value;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function printRows(rows: Array<Record<string, unknown>>, columns: string[], format: OutputFormat): void {
  if (format === 'json') {
    const picked = rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] instanceof Date ? (r[c] as Date).toISOString() : r[c] ?? null])));
    process.stdout.write(`${JSON.stringify(picked, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) { process.stdout.write('No data found\n'); return; }
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ').trimEnd();
  process.stdout.write(`${[line(columns), widths.map((w) => '='.repeat(w)).join('=+='), ...cells.map(line)].join('\n')}\n`);
}

/**
 * Dates given on the command line: ISO-8601, a date alone meaning midnight UTC. Parsed
 * strictly (luxon), so a day that does not exist is an error rather than rolled over.
 */
export function parseDateArg(value: string, what: string): Date {
  const d = DateTime.fromISO(value, { zone: 'utc', setZone: true });
  if (!d.isValid) throw new UserInputError(`${what}: "${value}" is not an ISO-8601 date or date-time (${d.invalidExplanation ?? d.invalidReason})`);
  return d.toJSDate();
}

/** Who made a change from the command line, for the event log: "cli:<os user>". */
export function cliOwner(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}
