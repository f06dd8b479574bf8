/**
 * Encryption of secrets at rest with Fernet, the scheme Airflow uses (same key format,
 * same token format), so an Airflow `fernet_key` works as UPDRAFT_FERNET_KEY and values
 * encrypted by Airflow can be read.
 *
 * Key: 32 random bytes, url-safe base64 (44 characters with the trailing `=`); the first
 * 16 bytes sign (HMAC-SHA256), the last 16 encrypt (AES-128-CBC). Token: url-safe base64
 * of `0x80 | 8-byte big-endian timestamp | 16-byte IV | ciphertext | 32-byte HMAC`, so a
 * stored value always starts with `gAAAAA`. Several keys separated by commas rotate keys
 * as Airflow's MultiFernet does: the first encrypts, each is tried to decrypt.
 *
 * Every function takes the key explicitly (from Config.fernetKey); none reads the
 * environment.
 */
import { Fernet } from 'fernet-nodejs';
import { UserInputError } from '../errors.ts';

/** The parsed UPDRAFT_FERNET_KEY: one or more valid keys, the first encrypting. */
export interface FernetKeys { readonly keys: readonly [string, ...string[]] }

/** A stored secret that cannot be read (no key, or not the key it was encrypted with). */
export class SecretDecryptError extends UserInputError {
  override name = 'SecretDecryptError';
}

export function generateFernetKey(): string {
  return Fernet.generateKey();
}

/**
 * Parse the configured key (undefined or blank: no encryption). A malformed key is an
 * error rather than a silent fallback to plain text.
 */
export function parseFernetKeys(configured: string | undefined): FernetKeys | undefined {
  if (configured === undefined || configured.trim() === '') return undefined;
  const parts = configured.split(',').map((k) => k.trim()).filter((k) => k !== '');
  parts.forEach((k, i) => {
    try {
      Fernet.checkKey(k);
    } catch {
      const which = parts.length > 1 ? ` (key ${i + 1} of ${parts.length})` : '';
      throw new UserInputError(`UPDRAFT_FERNET_KEY is not a Fernet key${which}: it must be 32 url-safe base64-encoded bytes`
        + ' (generate one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64url\')+\'=\')")');
    }
  });
  const [first, ...rest] = parts;
  if (first === undefined) return undefined;
  return { keys: [first, ...rest] };
}

export function encryptSecret(plain: string, keys: FernetKeys): string {
  return Fernet.encrypt(plain, keys.keys[0]);
}

/** Decrypt with the first key that verifies; `what` names the value in the error. */
export function decryptSecret(token: string, keys: FernetKeys | undefined, what: string): string {
  if (!keys) throw new SecretDecryptError(`${what} is encrypted but UPDRAFT_FERNET_KEY is not set`);
  for (const key of keys.keys) {
    try {
      return Fernet.decrypt(token, key);
    } catch { /* try the next key */ }
  }
  throw new SecretDecryptError(`cannot decrypt ${what}: UPDRAFT_FERNET_KEY is not the key it was encrypted with (or the stored value is damaged)`);
}
