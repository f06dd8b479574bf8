/**
 * Users of the API and UI, with Airflow's four roles. Passwords are stored as scrypt
 * hashes (node:crypto, no native addon): `scrypt$N$r$p$salt$hash`, base64 parts.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { UserInputError } from '../errors.ts';
import type { Executor } from '../transitions/sql.ts';
import { rows } from '../transitions/sql.ts';

/** Airflow's roles, weakest first: viewer reads; user also runs and edits DAGs; op also manages variables, connections and pools; admin everything. */
export const ROLES = ['viewer', 'user', 'op', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export function parseRole(value: string): Role {
  const role = value.toLowerCase();
  if (!(ROLES as readonly string[]).includes(role)) throw new UserInputError(`unknown role "${value}": use one of ${ROLES.join(', ')}`);
  return role as Role;
}

const N = 16384;
const R = 8;
const P = 1;

function scrypt(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export interface UserRow { id: number; username: string; role: Role; password_hash: string }

const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/** Create a user, or (with `replace`) reset an existing one's password and role. */
export async function createUser(db: Executor, username: string, password: string, role: Role, replace = false): Promise<void> {
  if (!USERNAME.test(username)) throw new UserInputError(`invalid username "${username}": 1-64 letters, digits, "_", ".", "@" or "-"`);
  if (password.length < 8) throw new UserInputError('the password must have at least 8 characters');
  const hash = await hashPassword(password);
  const inserted = await rows<{ id: number }>(db, `
    insert into app_user (username, password_hash, role) values (?, ?, ?)
    on conflict (username) do ${replace ? 'update set password_hash = excluded.password_hash, role = excluded.role' : 'nothing'}
    returning id`, [username, hash, role]);
  if (inserted.length === 0) throw new UserInputError(`user "${username}" already exists`);
}

/** The user when the password matches, else null (same answer for an unknown user, to not reveal which). */
export async function authenticate(db: Executor, username: string, password: string): Promise<UserRow | null> {
  const [user] = await rows<UserRow>(db, 'select id, username, role, password_hash from app_user where username = ?', [username]);
  const ok = user ? await verifyPassword(password, user.password_hash) : await verifyPassword(password, DUMMY_HASH);
  if (!user || !ok) return null;
  await db.raw('update app_user set last_login = now() where id = ?', [user.id]);
  return user;
}

/** Verifying against a fixed hash keeps the timing of "no such user" like a wrong password's. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
