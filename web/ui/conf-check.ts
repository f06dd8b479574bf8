/**
 * A trigger's conf checked against the DAG's params before the run is created, so the
 * trigger form can say which field is wrong. Updraft's params are plain defaults: a
 * conf value for a param must have the default's JSON type (a number for 2, a list for
 * [], ...); a null default accepts anything, and keys that are not params are allowed
 * (Airflow passes them through in dag_run.conf).
 */
import type { ValidationItem } from '../errors.ts';

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' ? 'number' : typeof v === 'object' ? 'object' : typeof v;
}

export function checkConf(conf: unknown, params: Record<string, unknown>): ValidationItem[] {
  if (conf === null || typeof conf !== 'object' || Array.isArray(conf)) {
    return [{ type: 'dict_type', loc: ['body', 'conf'], msg: 'conf must be a JSON object, e.g. {"key": "value"}', input: conf }];
  }
  const problems: ValidationItem[] = [];
  for (const [key, value] of Object.entries(conf as Record<string, unknown>)) {
    if (!(key in params)) continue;
    const want = jsonType(params[key]);
    const got = jsonType(value);
    if (want !== 'null' && want !== got) {
      problems.push({
        type: `${want}_type`, loc: ['body', 'conf', key], input: value,
        msg: `param "${key}" must be ${want === 'array' || want === 'object' ? 'an' : 'a'} ${want} (its default is ${JSON.stringify(params[key])}), not ${got === 'array' || got === 'object' ? 'an' : 'a'} ${got}`,
      });
    }
  }
  return problems;
}
