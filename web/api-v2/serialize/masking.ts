/**
 * Airflow's secrets masker as the API applies it: a value whose name looks secret
 * (password, secret, api_key, token, ... — core's SENSITIVE_FIELD_NAMES, Airflow's
 * default list) is answered as "***", and JSON text is answered with its secret keys
 * masked. The rule itself lives in core (the CLI masks with it too).
 */
import { MASK, maskSensitive, SENSITIVE_FIELD_NAMES } from '../../../core/connections/manage-connections.ts';

export { MASK };

export function isSensitiveName(name: string): boolean {
  const n = name.toLowerCase();
  return SENSITIVE_FIELD_NAMES.some((s) => n.includes(s));
}

/**
 * A variable's value as the API shows it. A secret-looking key masks the whole value
 * (Airflow lets a JSON number through under such a key; we do not). JSON objects and
 * arrays get their secret keys masked, at any depth; text comes back unchanged when
 * nothing was masked.
 */
export function maskVariableValue(key: string, value: string): string {
  if (isSensitiveName(key)) return MASK;
  return maskJsonText(value) ?? value;
}

/** JSON text with secret keys masked; null when it is not JSON or nothing needed masking. */
export function maskJsonText(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object') return null;
  const masked = maskSensitive(parsed);
  const out = JSON.stringify(masked);
  return out === JSON.stringify(parsed) ? null : out;
}

/**
 * Put back the stored values a client sent as "***" (it read them masked and sends the
 * object back edited): Airflow does the same so a round trip never overwrites a secret
 * with the mask.
 */
export function unmaskJson(incoming: unknown, stored: unknown): unknown {
  if (incoming === MASK) return stored;
  if (Array.isArray(incoming)) {
    return incoming.map((v, i) => unmaskJson(v, Array.isArray(stored) ? stored[i] : undefined));
  }
  if (incoming !== null && typeof incoming === 'object') {
    const old = stored !== null && typeof stored === 'object' ? (stored as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(incoming).map(([k, v]) => [k, unmaskJson(v, old[k])]));
  }
  return incoming;
}
