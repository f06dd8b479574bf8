/** `-o table|json` output, as Airflow's CLI prints it. */
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

/** Dates given on the command line: ISO-8601, a date alone meaning midnight UTC. */
export function parseDateArg(value: string, what: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) throw new Error(`${what}: "${value}" is not an ISO-8601 date or date-time`);
  return d;
}
