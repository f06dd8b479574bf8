/**
 * A fresh PostgreSQL database per test file, cloned from a template migrated once per
 * test process (CREATE DATABASE ... TEMPLATE takes ~50 ms, migrating takes longer).
 * Names carry the test process's pid, so test runs side by side never share a template,
 * and databases left by a killed run are dropped by the next one.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../core/config.ts';
import { openDatabase, type Db } from '../../core/db/connect.ts';
import { migrate } from '../../core/db/migrate.ts';

const PREFIX = 'updraft_test_';
const TEMPLATE = `${PREFIX}${process.pid}_template`;
let templateReady: Promise<void> | null = null;

function urlFor(base: string, dbName: string): string {
  const u = new URL(base);
  u.pathname = `/${dbName}`;
  return u.toString();
}

async function withAdmin<T>(fn: (admin: Db) => Promise<T>): Promise<T> {
  const admin = openDatabase(loadConfig().databaseUrl, { poolMax: 1, applicationName: 'updraft-test-admin' });
  try { return await fn(admin); } finally { await admin.destroy(); }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

async function dropLeftovers(admin: Db): Promise<void> {
  const found = (await admin.raw('select datname from pg_database where datname like ?', [`${PREFIX}%`])) as { rows: Array<{ datname: string }> };
  for (const { datname } of found.rows) {
    const pid = Number(/^updraft_test_(\d+)_/.exec(datname)?.[1]);
    if (pid && !alive(pid)) await admin.raw(`drop database if exists ${datname} with (force)`);
  }
}

function ensureTemplate(): Promise<void> {
  templateReady ??= (async () => {
    await withAdmin(async (admin) => {
      await dropLeftovers(admin);
      await admin.raw(`drop database if exists ${TEMPLATE} with (force)`);
      await admin.raw(`create database ${TEMPLATE}`);
    });
    const db = openDatabase(urlFor(loadConfig().databaseUrl, TEMPLATE), { poolMax: 2 });
    try { await migrate(db); } finally { await db.destroy(); }
    process.once('beforeExit', () => { void withAdmin((admin) => admin.raw(`drop database if exists ${TEMPLATE} with (force)`)).catch(() => undefined); });
  })();
  return templateReady;
}

export interface TestDatabase { name: string; url: string; db: Db; drop(): Promise<void> }

export async function createTestDatabase(poolMax = 20): Promise<TestDatabase> {
  await ensureTemplate();
  const name = `${PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((admin) => admin.raw(`create database ${name} template ${TEMPLATE}`));
  const url = urlFor(loadConfig().databaseUrl, name);
  const db = openDatabase(url, { poolMax, applicationName: 'updraft-test' });
  return {
    name, url, db,
    drop: async () => {
      await db.destroy();
      await withAdmin((admin) => admin.raw(`drop database if exists ${name} with (force)`));
    },
  };
}
