/**
 * `variables import` / `variables export` files: one JSON object of key → value, as
 * Airflow writes them. Exported values that are JSON text are written as JSON (so an
 * object variable exports as an object); importing stores strings as they are and any
 * other value as its JSON text, so an export imports back to the same values.
 */
import type { Knex } from 'knex';
import { UserInputError } from '../errors.ts';
import { readAllVariables, setVariable } from './variables.ts';

/** Parse an import file's text; anything but a JSON object is an error. */
export function parseVariablesFile(text: string, file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UserInputError(`${file} must hold a JSON object of variable key to value`);
  }
  return parsed as Record<string, unknown>;
}

/** Set every variable in one transaction (all or none); returns how many. */
export async function importVariables(db: Knex, vars: Record<string, unknown>, fernetKey: string | undefined): Promise<number> {
  const entries = Object.entries(vars);
  await db.transaction(async (trx) => {
    for (const [key, value] of entries) await setVariable(trx, { key, value }, fernetKey);
  });
  return entries.length;
}

export async function exportVariables(db: Knex, fernetKey: string | undefined): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const v of await readAllVariables(db, fernetKey)) {
    try {
      out[v.key] = JSON.parse(v.value) as unknown;
    } catch {
      out[v.key] = v.value;
    }
  }
  return out;
}
