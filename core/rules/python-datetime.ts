/**
 * Python's `str(datetime)` for a UTC-aware datetime, e.g. "2026-11-20 00:00:00+00:00".
 *
 * Why: Airflow's retry jitter hashes `f"...#{logical_date}#..."`, so to land on the
 * same retry times as Airflow we must print the date byte-for-byte as Python does:
 * a space (not "T") between date and time, ".ffffff" only when the microseconds are
 * non-zero, "+00:00" offset, and "None" for a null logical date (Airflow 3 allows it).
 * A JS Date has millisecond precision, so microseconds are always a multiple of 1000.
 */
export function pythonUtcDatetimeStr(d: Date | null): string {
  if (d === null) return 'None';
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new RangeError('pythonUtcDatetimeStr: invalid Date');
  const p = (n: number, w: number): string => String(n).padStart(w, '0');
  const date = `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1, 2)}-${p(d.getUTCDate(), 2)}`;
  const time = `${p(d.getUTCHours(), 2)}:${p(d.getUTCMinutes(), 2)}:${p(d.getUTCSeconds(), 2)}`;
  const ms = d.getUTCMilliseconds();
  const frac = ms === 0 ? '' : `.${p(ms * 1000, 6)}`;
  return `${date} ${time}${frac}+00:00`;
}
