/**
 * Numbered, transactional migrations from `migrations/`. Two processes may migrate at
 * once (a scheduler and a worker starting together): a PostgreSQL advisory lock held
 * on one connection for the whole run makes the second wait, then find nothing to do,
 * instead of failing on knex's own lock table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import type { Db } from './connect.ts';

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
/** Arbitrary constant naming "updraft migrations" among advisory locks. */
const MIGRATION_LOCK_KEY = 7_305_201;

interface MigrationModule { up(knex: Knex): Promise<void>; down?(knex: Knex): Promise<void> }

class FolderSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return fs.readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{3}_[\w-]+\.ts$/.test(f)).sort();
  }
  getMigrationName(name: string): string { return name; }
  async getMigration(name: string): Promise<Knex.Migration> {
    const mod = (await import(pathToFileURL(path.join(MIGRATIONS_DIR, name)).href)) as MigrationModule;
    return { up: mod.up, down: mod.down ?? (async () => { throw new Error(`${name} cannot be reverted`); }) };
  }
}

/**
 * Apply pending migrations; returns the names applied (empty when up to date). It uses a
 * short-lived pool of its own: one connection holds the advisory lock while knex runs the
 * migrations on the other, and the caller's pool (however small) is never starved.
 */
export async function migrate(db: Db): Promise<string[]> {
  const own = knexFactory({ ...(db.client as { config: Knex.Config }).config, pool: { min: 0, max: 2 } });
  try {
    const conn = await own.client.acquireConnection();
    try {
      await own.raw('select pg_advisory_lock(?)', [MIGRATION_LOCK_KEY]).connection(conn);
      const [, applied] = (await own.migrate.latest({
        migrationSource: new FolderSource(),
        tableName: 'updraft_migrations',
        disableMigrationsListValidation: true,
      })) as [number, string[]];
      return applied;
    } finally {
      await own.raw('select pg_advisory_unlock(?)', [MIGRATION_LOCK_KEY]).connection(conn).catch(() => undefined);
      await own.client.releaseConnection(conn);
    }
  } finally {
    await own.destroy();
  }
}
