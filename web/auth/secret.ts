/**
 * The key that signs API tokens: UPDRAFT_API_SECRET_KEY, or one generated on first use
 * and kept (mode 0600) in UPDRAFT_HOME, so that tokens stay valid across restarts and
 * between api-servers sharing the home folder.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../core/config.ts';

export function loadSecretKey(config: Config): Uint8Array {
  if (config.apiSecretKey) return new TextEncoder().encode(config.apiSecretKey);
  const file = path.join(config.home, 'api-secret-key');
  try {
    return new TextEncoder().encode(fs.readFileSync(file, 'utf8').trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(config.home, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return new TextEncoder().encode(fs.readFileSync(file, 'utf8').trim());
  }
  return new TextEncoder().encode(key);
}
