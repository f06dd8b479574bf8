/**
 * The real `updraft variables ...` and `updraft connections ...` commands (child
 * processes) against one installation with a Fernet key: values round-trip, secrets are
 * encrypted at rest and never printed, and bad input exits non-zero with one line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { generateFernetKey } from '../../core/secrets/fernet.ts';
import { rows } from '../../core/transitions/sql.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import { Harness } from '../support/harness.ts';

const UPDRAFT_FERNET_KEY = generateFernetKey();

function ok(r: CliResult): string {
  expect(r.code, `exit code; stderr: ${r.stderr}; stdout: ${r.stdout}`).to.equal(0);
  expect(r.stderr.trim(), 'stderr').to.equal('');
  return r.stdout;
}

/** Non-zero exit with exactly one line on stderr, which is returned. */
function fails(r: CliResult): string {
  expect(r.code, `exit code; stdout: ${r.stdout}`).to.not.equal(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).to.have.length(1);
  return lines[0]!;
}

function json<T = Array<Record<string, unknown>>>(r: CliResult): T {
  const out = ok(r);
  try { return JSON.parse(out) as T; } catch { return expect.fail(`stdout is not JSON:\n${out}`); }
}

describe('updraft variables and connections commands', function () {
  this.timeout(60_000);
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const cli = (...args: string[]) => runCli(args, env);

  before(async () => {
    h = await Harness.create();
    env = { ...h.env, UPDRAFT_FERNET_KEY };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-vars-'));
  });
  after(async () => {
    await h?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('variables', () => {
    it('set and get: the value round-trips and is encrypted at rest', async () => {
      expect(ok(await cli('variables', 'set', 'api_token', 'tok s3cret', '--description', 'for the API'))).to.equal('Variable api_token created\n');
      expect(ok(await cli('variables', 'get', 'api_token'))).to.equal('tok s3cret\n');
      const [raw] = await rows<{ val: string; is_encrypted: boolean; description: string }>(h.db, "select * from variable where key = 'api_token'");
      expect(raw).to.include({ is_encrypted: true, description: 'for the API' });
      expect(raw?.val).to.match(/^gAAAAA/).and.not.include('s3cret');
    });

    it('set -j checks and normalizes JSON; get -j prints it as JSON', async () => {
      ok(await cli('variables', 'set', 'cfg', '{ "region": "eu",  "n": [1, 2] }', '-j'));
      expect(ok(await cli('variables', 'get', 'cfg'))).to.equal('{"region":"eu","n":[1,2]}\n');
      expect(JSON.parse(ok(await cli('variables', 'get', 'cfg', '-j')))).to.deep.equal({ region: 'eu', n: [1, 2] });
      expect(fails(await cli('variables', 'set', 'bad', '{not json', '-j'))).to.equal('updraft: the value of "bad" is not valid JSON (given -j)');
      expect(fails(await cli('variables', 'get', 'api_token', '-j'))).to.equal('updraft: variable "api_token" is not valid JSON');
    });

    it('get of an unknown key: an error, or the -d default', async () => {
      expect(fails(await cli('variables', 'get', 'missing'))).to.equal('updraft: variable "missing" does not exist (see `updraft variables list`)');
      expect(ok(await cli('variables', 'get', 'missing', '-d', 'fallback'))).to.equal('fallback\n');
    });

    it('get with the wrong key or none: one line naming the variable', async () => {
      const wrong = fails(await runCli(['variables', 'get', 'api_token'], { ...env, UPDRAFT_FERNET_KEY: generateFernetKey() }));
      expect(wrong).to.equal('updraft: cannot decrypt variable "api_token": UPDRAFT_FERNET_KEY is not the key it was encrypted with (or the stored value is damaged)');
      const none = fails(await runCli(['variables', 'get', 'api_token'], { ...env, UPDRAFT_FERNET_KEY: '' }));
      expect(none).to.equal('updraft: variable "api_token" is encrypted but UPDRAFT_FERNET_KEY is not set');
      expect(fails(await runCli(['variables', 'set', 'x', 'y'], { ...env, UPDRAFT_FERNET_KEY: 'short' })))
        .to.match(/^updraft: UPDRAFT_FERNET_KEY is not a Fernet key: it must be 32 url-safe base64-encoded bytes/);
    });

    it('list -o json and table: keys and descriptions, never values', async () => {
      const list = json(await cli('variables', 'list', '-o', 'json'));
      expect(list).to.deep.equal([
        { key: 'api_token', description: 'for the API', is_encrypted: true },
        { key: 'cfg', description: null, is_encrypted: true },
      ]);
      const table = ok(await cli('variables', 'list'));
      expect(table.split('\n')[0]).to.match(/^key\s+\| description\s+\| is_encrypted$/);
      expect(table).to.include('api_token').and.not.include('s3cret');
    });

    it('export writes decrypted values; import sets them (all or none); bad files are one-line errors', async () => {
      const out = path.join(dir, 'vars.json');
      expect(ok(await cli('variables', 'export', out))).to.equal(`2 variables successfully exported to ${out}\n`);
      expect(JSON.parse(fs.readFileSync(out, 'utf8'))).to.deep.equal({ api_token: 'tok s3cret', cfg: { region: 'eu', n: [1, 2] } });

      const input = path.join(dir, 'in.json');
      fs.writeFileSync(input, JSON.stringify({ imported: 'yes', limits: { max: 3 } }));
      expect(ok(await cli('variables', 'import', input))).to.equal('2 of 2 variables successfully updated.\n');
      expect(ok(await cli('variables', 'get', 'imported'))).to.equal('yes\n');
      expect(JSON.parse(ok(await cli('variables', 'get', 'limits', '-j')))).to.deep.equal({ max: 3 });

      const broken = path.join(dir, 'broken.json');
      fs.writeFileSync(broken, '{"a": ');
      expect(fails(await cli('variables', 'import', broken))).to.match(new RegExp(`^updraft: ${broken} is not valid JSON: `));
      fs.writeFileSync(broken, '[1, 2]');
      expect(fails(await cli('variables', 'import', broken))).to.equal(`updraft: ${broken} must hold a JSON object of variable key to value`);
      expect(fails(await cli('variables', 'import', path.join(dir, 'nope.json')))).to.equal(`updraft: cannot read ${path.join(dir, 'nope.json')}: ENOENT`);
      fs.writeFileSync(broken, JSON.stringify({ partial: 1, '': 2 }));
      expect(fails(await cli('variables', 'import', broken))).to.equal('updraft: a variable key cannot be empty');
      expect(fails(await cli('variables', 'get', 'partial'))).to.match(/variable "partial" does not exist/);
    });

    it('delete removes a variable; deleting an unknown key is an error', async () => {
      expect(ok(await cli('variables', 'delete', 'imported'))).to.equal('Variable imported deleted\n');
      expect(fails(await cli('variables', 'get', 'imported'))).to.match(/does not exist/);
      expect(fails(await cli('variables', 'delete', 'imported'))).to.equal('updraft: variable "imported" does not exist');
    });
  });

  describe('connections', () => {
    it('add --conn-uri: parsed like Airflow, password and extra encrypted at rest', async () => {
      const out = ok(await cli('connections', 'add', 'warehouse', '--conn-uri', 'postgresql://etl:p%40ss%20w0rd@db.example.com:5433/sales?sslmode=require',
        '--conn-description', 'the warehouse'));
      expect(out).to.equal('Successfully added conn_id=warehouse (type postgres)\n');
      const [raw] = await rows<Record<string, unknown>>(h.db, "select * from connection where conn_id = 'warehouse'");
      expect(raw).to.include({ conn_type: 'postgres', host: 'db.example.com', port: 5433, schema: 'sales', login: 'etl',
        description: 'the warehouse', is_encrypted: true });
      expect(raw?.password).to.match(/^gAAAAA/);
      expect(raw?.extra).to.match(/^gAAAAA/);
    });

    it('add with --conn-type and fields, --conn-extra JSON', async () => {
      ok(await cli('connections', 'add', 'api', '--conn-type', 'http', '--conn-host', 'api.example.com', '--conn-login', 'bot',
        '--conn-password', 'api-s3cret', '--conn-port', '443', '--conn-schema', 'https', '--conn-extra', '{"token": "t-1", "timeout": 5}'));
      const got = json<Array<Record<string, unknown>>>(await cli('connections', 'get', 'api', '-o', 'json'));
      expect(got).to.deep.equal([{
        conn_id: 'api', conn_type: 'http', description: null, host: 'api.example.com', schema: 'https', login: 'bot',
        password: '***', port: 443, extra: { token: '***', timeout: 5 }, is_encrypted: true,
      }]);
    });

    it('get never prints the password (json or table)', async () => {
      const [got] = json(await cli('connections', 'get', 'warehouse', '-o', 'json'));
      expect(got).to.include({ password: '***', login: 'etl', host: 'db.example.com', port: 5433 });
      expect(got?.extra).to.deep.equal({ sslmode: 'require' });
      const table = ok(await cli('connections', 'get', 'warehouse'));
      expect(table).to.include('db.example.com').and.include('***').and.not.include('p@ss');
      expect(fails(await cli('connections', 'get', 'nope'))).to.equal('updraft: connection "nope" does not exist (see `updraft connections list`)');
    });

    it('list -o json and table: no passwords or extras', async () => {
      const list = json(await cli('connections', 'list', '-o', 'json'));
      expect(list.map((c) => c.conn_id)).to.deep.equal(['api', 'warehouse']);
      for (const c of list) expect(c).to.not.have.any.keys('password', 'extra');
      const table = ok(await cli('connections', 'list'));
      expect(table.split('\n')[0]).to.match(/^conn_id\s+\| conn_type/);
      expect(table).to.not.include('s3cret').and.not.include('p@ss').and.not.include('***');
    });

    it('bad input: one line, non-zero exit, nothing stored', async () => {
      expect(fails(await cli('connections', 'add', 'warehouse', '--conn-uri', 'postgres://a:b@h/db')))
        .to.equal('updraft: a connection with conn_id "warehouse" already exists');
      const badUri = fails(await cli('connections', 'add', 'c1', '--conn-uri', 'postgres://u:topsecret@host:99999/db'));
      expect(badUri).to.match(/^updraft: --conn-uri is not a valid connection URI/).and.not.include('topsecret');
      expect(fails(await cli('connections', 'add', 'c1', '--conn-uri', 'just-a-host'))).to.match(/^updraft: --conn-uri is not a connection URI/);
      expect(fails(await cli('connections', 'add', 'c1', '--conn-type', 'http', '--conn-extra', '{bad'))).to.equal('updraft: --conn-extra is not valid JSON');
      expect(fails(await cli('connections', 'add', 'c1', '--conn-type', 'http', '--conn-extra', '[1]'))).to.equal('updraft: --conn-extra must be a JSON object');
      expect(fails(await cli('connections', 'add', 'c1', '--conn-type', 'http', '--conn-port', 'eighty'))).to.match(/^updraft: --conn-port must be a port number/);
      expect(fails(await cli('connections', 'add', 'c1', '--conn-host', 'h'))).to.equal('updraft: give --conn-uri, or --conn-type with the other --conn-* options');
      expect(fails(await cli('connections', 'add', 'c1', '--conn-uri', 'http://h', '--conn-host', 'x'))).to.match(/^updraft: --conn-uri cannot be combined with --conn-type/);
      expect((await rows(h.db, "select 1 from connection where conn_id = 'c1'"))).to.have.length(0);
    });

    it('delete removes a connection; deleting an unknown one is an error', async () => {
      expect(ok(await cli('connections', 'delete', 'api'))).to.equal('Successfully deleted connection with conn_id=api\n');
      expect(fails(await cli('connections', 'delete', 'api'))).to.equal('updraft: connection "api" does not exist');
      expect(json(await cli('connections', 'list', '-o', 'json')).map((c) => c.conn_id)).to.deep.equal(['warehouse']);
    });
  });
});
