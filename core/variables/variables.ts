/**
 * Airflow Variables: key → text value (JSON when read with `var.json` / `-j`), stored in
 * the `variable` table, the value encrypted at rest when a Fernet key is configured.
 * Every function takes the configured key (Config.fernetKey) explicitly.
 */
import { UserInputError } from '../errors.ts';
import { parseFernetKeys } from '../secrets/fernet.ts';
import { openValue, sealValue } from '../secrets/stored-value.ts';
import { rows, type Executor } from '../transitions/sql.ts';

export interface VariableRow { key: string; val: string | null; description: string | null; is_encrypted: boolean }

export interface VariableListing { key: string; description: string | null; is_encrypted: boolean }

const what = (key: string) => `variable "${key}"`;

/** The row's value in plain text (decrypted with the configured key when stored encrypted). */
export function openRow(row: VariableRow, fernetKey: string | undefined): string {
  return openValue(row.val, row.is_encrypted, parseFernetKeys(fernetKey), what(row.key)) ?? '';
}

/** The value, or undefined when the variable does not exist. */
export async function getVariable(db: Executor, key: string, fernetKey: string | undefined): Promise<string | undefined> {
  const [row] = await rows<VariableRow>(db, 'select * from variable where key = ?', [key]);
  return row ? openRow(row, fernetKey) : undefined;
}

/** The value parsed as JSON (Airflow's `deserialize_json`); undefined when absent. */
export async function getVariableJson(db: Executor, key: string, fernetKey: string | undefined): Promise<unknown> {
  const raw = await getVariable(db, key, fernetKey);
  return raw === undefined ? undefined : parseVariableJson(key, raw);
}

export function parseVariableJson(key: string, raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new UserInputError(`${what(key)} is not valid JSON`);
  }
}

/**
 * Create or replace a variable. A description left undefined keeps the existing one.
 * Values that are not strings are stored as JSON (Airflow's `serialize_json`).
 */
export async function setVariable(
  db: Executor, v: { key: string; value: unknown; description?: string | null }, fernetKey: string | undefined,
): Promise<void> {
  if (v.key === '') throw new UserInputError('a variable key cannot be empty');
  const text = typeof v.value === 'string' ? v.value : JSON.stringify(v.value);
  if (text === undefined) throw new UserInputError(`${what(v.key)}: the value cannot be stored as JSON`);
  const keys = parseFernetKeys(fernetKey);
  await db.raw(`insert into variable (key, val, description, is_encrypted) values (?, ?, ?, ?)
    on conflict (key) do update set val = excluded.val, is_encrypted = excluded.is_encrypted,
      description = case when ? then excluded.description else variable.description end`,
  [v.key, sealValue(text, keys), v.description ?? null, keys !== undefined, v.description !== undefined]);
}

/** True when it existed. */
export async function deleteVariable(db: Executor, key: string): Promise<boolean> {
  const result = (await db.raw('delete from variable where key = ?', [key])) as { rowCount: number };
  return result.rowCount > 0;
}

/** Keys and descriptions only: listing never decrypts or shows values. */
export async function listVariables(db: Executor): Promise<VariableListing[]> {
  return rows<VariableListing>(db, 'select key, description, is_encrypted from variable order by key');
}

/** Every variable with its decrypted value, by key (for export). */
export async function readAllVariables(db: Executor, fernetKey: string | undefined): Promise<Array<{ key: string; value: string; description: string | null }>> {
  const all = await rows<VariableRow>(db, 'select * from variable order by key');
  return all.map((row) => ({ key: row.key, value: openRow(row, fernetKey), description: row.description }));
}

/**
 * Variables as the worker's template context needs them: every key, the value decrypted
 * only when a template reads it, so one variable stored under another key fails only
 * the tasks that use it (with an error naming it).
 */
export async function loadTemplateVariables(db: Executor, fernetKey: string | undefined): Promise<Array<{ key: string; val: string }>> {
  const all = await rows<VariableRow>(db, 'select * from variable');
  return all.map((row) => {
    let opened: string | undefined;
    return {
      key: row.key,
      get val(): string { return (opened ??= openRow(row, fernetKey)); },
    };
  });
}
