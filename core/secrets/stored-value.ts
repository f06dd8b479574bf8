/**
 * One secret column as stored: encrypted when a key is configured, plain text otherwise
 * (Airflow's behaviour without a fernet_key), with the row's `is_encrypted` flag saying
 * which.
 */
import { decryptSecret, encryptSecret, type FernetKeys } from './fernet.ts';

/** Value to store: null stays null (nothing to hide). */
export function sealValue(plain: string | null, keys: FernetKeys | undefined): string | null {
  if (plain === null || !keys) return plain;
  return encryptSecret(plain, keys);
}

/** Value to use: decrypted when the row says it is encrypted. */
export function openValue(stored: string | null, isEncrypted: boolean, keys: FernetKeys | undefined, what: string): string | null {
  if (stored === null || !isEncrypted) return stored;
  return decryptSecret(stored, keys, what);
}
