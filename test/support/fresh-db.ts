/**
 * A fresh PostgreSQL database per test file, cloned from a template migrated once per
 * test process (CREATE DATABASE ... TEMPLATE takes ~50 ms, migrating takes longer).
 * Tests run against the project's real PostgreSQL started by scripts/services.sh.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../core/config.ts';
import { openDatabase, type Db } from '../../core/db/connect.ts';
import { migrate } from '../../core/db/migrate.ts';

const TEMPLATE = 'updraft_test_template';
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

function ensureTemplate(): Promise<void> {
  templateReady ??= (async () => {
    await withAdmin(async (admin) => {
      await admin.raw(`drop database if exists ${TEMPLATE} with (force)`);
      await admin.raw(`create database ${TEMPLATE}`);
    });
    const db = openDatabase(urlFor(loadConfig().databaseUrl, TEMPLATE), { poolMax: 2 });
    try { await migrate(db); } finally { await db.destroy(); }
  })();
  return templateReady;
}

export interface TestDatabase { name: string; url: string; db: Db; drop(): Promise<void> }

export async function createTestDatabase(poolMax = 20): Promise<TestDatabase> {
  await ensureTemplate();
  const name = `updraft_test_${randomBytes(5).toString('hex')}`;
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
