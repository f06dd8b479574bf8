/** Migrations: numbered, transactional, and safe when several processes migrate at once. */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { loadConfig } from '../../core/config.ts';
import { openDatabase, type Db } from '../../core/db/connect.ts';
import { migrate } from '../../core/db/migrate.ts';
import { runCli } from '../support/cli.ts';

describe('database migrations', function () {
  this.timeout(60_000);
  const name = `updraft_test_${process.pid}_mig_${randomBytes(3).toString('hex')}`;
  let url: string;
  let admin: Db;

  before(async () => {
    const base = loadConfig().databaseUrl;
    admin = openDatabase(base, { poolMax: 1 });
    await admin.raw(`create database ${name}`);
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
  });
  after(async () => {
    await admin.raw(`drop database if exists ${name} with (force)`);
    await admin.destroy();
  });

  it('three processes migrating an empty database at once: each migration is applied exactly once', async () => {
    const env = { ...process.env, UPDRAFT_DATABASE_URL: url };
    const results = await Promise.all([1, 2, 3].map(() => runCli(['db', 'migrate'], env)));
    for (const r of results) expect(r.code, r.stderr).to.equal(0);
    const applied = results.filter((r) => r.stdout.startsWith('applied:'));
    expect(applied, 'exactly one process applied the migrations').to.have.length(1);
    expect(results.filter((r) => r.stdout.includes('database is up to date'))).to.have.length(2);

    const db = openDatabase(url, { poolMax: 2 });
    try {
      const rows = (await db.raw('select name from updraft_migrations order by id')) as { rows: Array<{ name: string }> };
      const names = rows.rows.map((r) => r.name);
      expect(names).to.deep.equal([...names].sort());
      expect(new Set(names).size, 'no migration recorded twice').to.equal(names.length);
      expect(names[0]).to.equal('001_initial.ts');
      // In-process callers are serialized by the same advisory lock.
      expect(await Promise.all([migrate(db), migrate(db)])).to.deep.equal([[], []]);
    } finally {
      await db.destroy();
    }
  });
});
