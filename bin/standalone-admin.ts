/**
 * Standalone's login: an `admin` user with a generated password, printed at start and
 * kept in UPDRAFT_HOME/standalone_admin_password.txt (mode 0600), as Airflow's
 * standalone does. A later start reuses the saved password while it still works.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { authenticate, createUser } from '../core/users/users.ts';
import type { Runtime } from './runtime.ts';

export interface StandaloneLogin { username: string; password: string; file: string }

export async function ensureStandaloneAdmin(rt: Runtime): Promise<StandaloneLogin> {
  const username = 'admin';
  const file = path.join(rt.config.home, 'standalone_admin_password.txt');
  const saved = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  if (saved && await authenticate(rt.db, username, saved)) return { username, password: saved, file };
  const password = randomBytes(12).toString('base64url');
  await createUser(rt.db, username, password, 'admin', true);
  fs.mkdirSync(rt.config.home, { recursive: true });
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return { username, password, file };
}
