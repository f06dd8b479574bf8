/**
 * The metadata database handle. Every component opens one with `openDatabase`
 * and passes it explicitly; nothing connects at import time.
 */
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { UserInputError } from '../errors.ts';

// Ids are bigserial; they stay far below 2^53, so plain numbers are safer to pass
// around than the strings pg returns by default for int8.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

export type Db = Knex;

export interface OpenOptions {
  /** Connections in the pool; a worker needs about its concurrency, the scheduler few. */
  poolMax?: number;
  applicationName?: string;
}

export function openDatabase(url: string, opts: OpenOptions = {}): Db {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: opts.applicationName ?? 'updraft' },
    pool: { min: 0, max: opts.poolMax ?? 10 },
    acquireConnectionTimeout: 10_000,
    // knex prints connection warnings with console.log; callers report errors themselves
    // (one clear line), so its own messages only appear with UPDRAFT_DEBUG.
    log: {
      warn: (m: unknown) => debugLog('warn', m), error: (m: unknown) => debugLog('error', m),
      deprecate: (m: unknown) => debugLog('deprecate', m), debug: (m: unknown) => debugLog('debug', m),
    },
  });
}

/** Fail fast with one clear line when the database is unreachable. */
export async function checkDatabase(db: Db, url: string): Promise<void> {
  try {
    await db.raw('select 1');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new UserInputError(`cannot reach the metadata database at ${redactUrl(url)}: ${why}`);
  }
}

function debugLog(level: string, message: unknown): void {
  if (process.env.UPDRAFT_DEBUG) process.stderr.write(`knex ${level}: ${String(message)}\n`);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
