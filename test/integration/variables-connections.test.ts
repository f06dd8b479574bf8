/**
 * Variables and connections on real PostgreSQL: encrypted at rest when a Fernet key is
 * configured (the raw row is checked), plain text without one, errors that name the
 * variable or connection when the key is wrong or missing, import/export, and templates
 * and operators reading decrypted values through a real scheduler + worker run.
 */
import { expect } from 'chai';
import { findConnection, getConnection } from '../../core/connections/get-connection.ts';
import { parseConnectionUri } from '../../core/connections/connection-uri.ts';
import {
  addConnection, deleteConnection, getStoredConnection, listConnections, loadTemplateConnections, maskedConnection,
} from '../../core/connections/manage-connections.ts';
import { generateFernetKey } from '../../core/secrets/fernet.ts';
import { rows } from '../../core/transitions/sql.ts';
import { exportVariables, importVariables } from '../../core/variables/import-export.ts';
import {
  deleteVariable, getVariable, getVariableJson, listVariables, loadTemplateVariables, setVariable,
} from '../../core/variables/variables.ts';
import { Harness } from '../support/harness.ts';

const KEY = generateFernetKey();
const OTHER_KEY = generateFernetKey();

const conn = (conn_id: string, extra: Partial<Parameters<typeof addConnection>[1]> = {}) => ({
  conn_id, conn_type: 'postgres', description: null, host: 'db.example.com', schema: 'sales', login: 'etl',
  password: 'p@ss w0rd', port: 5432, extra: '{"sslmode": "require", "token": "tok-123"}', ...extra,
});

describe('variables and connections: data access', function () {
  this.timeout(30_000);
  let h: Harness;
  const rawVariable = async (key: string) =>
    (await rows<{ val: string | null; is_encrypted: boolean; description: string | null }>(h.db, 'select * from variable where key = ?', [key]))[0];
  const rawConnection = async (id: string) =>
    (await rows<Record<string, unknown>>(h.db, 'select * from connection where conn_id = ?', [id]))[0];

  before(async () => { h = await Harness.create(); });
  after(async () => { await h?.stop(); });

  describe('variables', () => {
    it('with a key: the value is encrypted at rest and read back decrypted', async () => {
      await setVariable(h.db, { key: 'api_token', value: 'tok-SECRET-1', description: 'the API token' }, KEY);
      const raw = await rawVariable('api_token');
      expect(raw?.is_encrypted).to.equal(true);
      expect(raw?.val).to.match(/^gAAAAA/);
      expect(raw?.val).to.not.include('tok-SECRET-1');
      expect(raw?.description).to.equal('the API token');
      expect(await getVariable(h.db, 'api_token', KEY)).to.equal('tok-SECRET-1');
    });

    it('without a key: stored in plain text with is_encrypted = false (Airflow\'s behaviour)', async () => {
      await setVariable(h.db, { key: 'plain_var', value: 'visible' }, undefined);
      expect(await rawVariable('plain_var')).to.include({ val: 'visible', is_encrypted: false });
      expect(await getVariable(h.db, 'plain_var', KEY), 'plain values read with or without a key').to.equal('visible');
      expect(await getVariable(h.db, 'plain_var', undefined)).to.equal('visible');
    });

    it('a wrong or missing key is an error that names the variable', async () => {
      await setVariable(h.db, { key: 'locked', value: 'x' }, KEY);
      let err: unknown;
      try { await getVariable(h.db, 'locked', OTHER_KEY); } catch (e) { err = e; }
      expect((err as Error)?.message).to.equal('cannot decrypt variable "locked": UPDRAFT_FERNET_KEY is not the key it was encrypted with (or the stored value is damaged)');
      err = undefined;
      try { await getVariable(h.db, 'locked', undefined); } catch (e) { err = e; }
      expect((err as Error)?.message).to.equal('variable "locked" is encrypted but UPDRAFT_FERNET_KEY is not set');
    });

    it('JSON values: objects are stored as JSON and read with getVariableJson', async () => {
      await setVariable(h.db, { key: 'cfg', value: { region: 'eu', limits: [1, 2] } }, KEY);
      expect(await getVariable(h.db, 'cfg', KEY)).to.equal('{"region":"eu","limits":[1,2]}');
      expect(await getVariableJson(h.db, 'cfg', KEY)).to.deep.equal({ region: 'eu', limits: [1, 2] });
      expect(await getVariableJson(h.db, 'nope', KEY)).to.equal(undefined);
      let err: unknown;
      try { await getVariableJson(h.db, 'api_token', KEY); } catch (e) { err = e; }
      expect((err as Error)?.message).to.equal('variable "api_token" is not valid JSON');
    });

    it('set replaces the value, keeps the description unless given, and re-encrypts with the current key', async () => {
      await setVariable(h.db, { key: 'api_token', value: 'tok-2' }, OTHER_KEY);
      expect(await rawVariable('api_token')).to.include({ description: 'the API token', is_encrypted: true });
      expect(await getVariable(h.db, 'api_token', OTHER_KEY)).to.equal('tok-2');
      await setVariable(h.db, { key: 'api_token', value: 'tok-3', description: null }, KEY);
      expect(await rawVariable('api_token')).to.include({ description: null });
      expect(await getVariable(h.db, 'api_token', KEY)).to.equal('tok-3');
    });

    it('list shows keys without values; delete says whether the variable existed', async () => {
      const list = await listVariables(h.db);
      expect(list.map((v) => v.key)).to.include.members(['api_token', 'cfg', 'plain_var']);
      expect(JSON.stringify(list)).to.not.include('tok-3');
      expect(list.find((v) => v.key === 'plain_var')).to.deep.equal({ key: 'plain_var', description: null, is_encrypted: false });
      expect(await deleteVariable(h.db, 'plain_var')).to.equal(true);
      expect(await deleteVariable(h.db, 'plain_var')).to.equal(false);
      expect(await getVariable(h.db, 'plain_var', KEY)).to.equal(undefined);
    });

    it('import sets all variables in one transaction (all or none); export writes them back decrypted', async () => {
      expect(await importVariables(h.db, { imp_s: 'text', imp_n: 42, imp_o: { a: [1] } }, KEY)).to.equal(3);
      expect((await rawVariable('imp_s'))?.val).to.match(/^gAAAAA/);
      expect(await getVariable(h.db, 'imp_n', KEY)).to.equal('42');
      let err: unknown;
      try { await importVariables(h.db, { imp_new: 'x', '': 'empty key' }, KEY); } catch (e) { err = e; }
      expect((err as Error)?.message).to.equal('a variable key cannot be empty');
      expect(await getVariable(h.db, 'imp_new', KEY), 'nothing of a failed import is kept').to.equal(undefined);
      const exported = await exportVariables(h.db, KEY);
      expect(exported).to.include({ imp_s: 'text', imp_n: 42 });
      expect(exported.imp_o).to.deep.equal({ a: [1] });
      expect(exported.cfg).to.deep.equal({ region: 'eu', limits: [1, 2] });
    });
  });

  describe('connections', () => {
    it('with a key: password and extra are encrypted at rest, the other fields are not', async () => {
      await addConnection(h.db, conn('warehouse'), KEY);
      const raw = await rawConnection('warehouse');
      expect(raw).to.include({ conn_type: 'postgres', host: 'db.example.com', login: 'etl', schema: 'sales', port: 5432, is_encrypted: true });
      expect(raw?.password).to.match(/^gAAAAA/);
      expect(raw?.extra).to.match(/^gAAAAA/);
      expect(JSON.stringify(raw)).to.not.include('p@ss w0rd').and.not.include('tok-123');
      const stored = await getStoredConnection(h.db, 'warehouse', KEY);
      expect(stored).to.include({ password: 'p@ss w0rd', extra: '{"sslmode": "require", "token": "tok-123"}', is_encrypted: true });
    });

    it('without a key: stored in plain text', async () => {
      await addConnection(h.db, conn('plain_conn', { password: 'open' }), undefined);
      expect(await rawConnection('plain_conn')).to.include({ password: 'open', is_encrypted: false });
    });

    it('a duplicate conn_id is an error; delete says whether it existed', async () => {
      let err: unknown;
      try { await addConnection(h.db, conn('plain_conn'), KEY); } catch (e) { err = e; }
      expect((err as Error)?.message).to.equal('a connection with conn_id "plain_conn" already exists');
      expect((await rawConnection('plain_conn'))?.password, 'the first one is kept').to.equal('open');
      expect(await deleteConnection(h.db, 'plain_conn')).to.equal(true);
      expect(await deleteConnection(h.db, 'plain_conn')).to.equal(false);
    });

    it('a wrong key is an error naming the connection; template views fail only when read', async () => {
      let err: unknown;
      try { await getStoredConnection(h.db, 'warehouse', OTHER_KEY); } catch (e) { err = e; }
      expect((err as Error)?.message).to.match(/^cannot decrypt connection "warehouse": UPDRAFT_FERNET_KEY is not the key/);
      const views = await loadTemplateConnections(h.db, OTHER_KEY);
      const view = views.find((v) => v.conn_id === 'warehouse')!;
      expect(view.host).to.equal('db.example.com');
      expect(() => view.password).to.throw('cannot decrypt connection "warehouse"');
      const good = (await loadTemplateConnections(h.db, KEY)).find((v) => v.conn_id === 'warehouse')!;
      expect(good.password).to.equal('p@ss w0rd');
      expect(good.extra).to.deep.equal({ sslmode: 'require', token: 'tok-123' });
    });

    it('list has no secrets; the masked view hides the password and sensitive extra keys', async () => {
      const list = await listConnections(h.db);
      expect(list.map((c) => c.conn_id)).to.deep.equal(['warehouse']);
      expect(list[0]).to.not.have.any.keys('password', 'extra');
      const masked = maskedConnection((await getStoredConnection(h.db, 'warehouse', KEY))!);
      expect(masked).to.include({ password: '***', host: 'db.example.com' });
      expect(masked.extra).to.deep.equal({ sslmode: 'require', token: '***' });
    });

    it('getConnection (operators) decrypts with the given key; postgres_default falls back to the metadata DB', async () => {
      const c = await getConnection(h.db, 'warehouse', h.config.databaseUrl, KEY);
      expect(c).to.include({ password: 'p@ss w0rd', login: 'etl', port: 5432 });
      expect(c.extra).to.deep.equal({ sslmode: 'require', token: 'tok-123' });
      expect((await findConnection(h.db, 'postgres_default', h.config.databaseUrl, KEY))?.conn_type).to.equal('postgres');
      let err: unknown;
      try { await getConnection(h.db, 'warehouse', h.config.databaseUrl, OTHER_KEY); } catch (e) { err = e; }
      expect((err as Error)?.message).to.match(/^cannot decrypt connection "warehouse"/);
    });

    it('template variables decrypt lazily: an unreadable variable fails only when read', async () => {
      await setVariable(h.db, { key: 'other_key_var', value: 'x' }, OTHER_KEY);
      const vars = await loadTemplateVariables(h.db, KEY);
      expect(vars.find((v) => v.key === 'cfg')?.val).to.equal('{"region":"eu","limits":[1,2]}');
      expect(() => vars.find((v) => v.key === 'other_key_var')?.val).to.throw('cannot decrypt variable "other_key_var"');
    });
  });

  describe('connection URIs (Airflow format)', () => {
    it('parses type, login, password, host, port and schema, percent-decoded', () => {
      expect(parseConnectionUri('postgresql://us%40er:p%40ss%2Fw@db.example.com:5433/my%20db')).to.deep.equal({
        conn_type: 'postgres', login: 'us@er', password: 'p@ss/w', host: 'db.example.com', port: 5433, schema: 'my db', extra: null,
      });
      expect(parseConnectionUri('google-cloud-platform://')).to.include({ conn_type: 'google_cloud_platform', host: null, port: null });
    });

    it('query parameters become extra; __extra__ holds the extra JSON itself', () => {
      expect(parseConnectionUri('http://api.example.com?timeout=5&verify=false').extra).to.equal('{"timeout":"5","verify":"false"}');
      expect(parseConnectionUri(`http://h?__extra__=${encodeURIComponent('{"a": {"b": 1}}')}`).extra).to.equal('{"a":{"b":1}}');
      expect(parseConnectionUri('http://https://api.example.com:8443/v1').host, 'host with its own protocol').to.equal('https://api.example.com');
    });

    it('rejects what is not a connection URI without repeating it (it may hold a password)', () => {
      expect(() => parseConnectionUri('db.example.com:5432')).to.throw('--conn-uri is not a connection URI: expected type://login:password@host:port/schema');
      expect(() => parseConnectionUri('postgres://u:secretpw@host:99999/db')).to.throw(/not a valid connection URI/).and.satisfy(
        (e: Error) => !e.message.includes('secretpw'));
      expect(() => parseConnectionUri('http://h?__extra__=nope')).to.throw('--conn-uri __extra__ is not valid JSON');
    });
  });
});

describe('variables and connections: templates and operators in a real run', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await Harness.create({ env: { UPDRAFT_FERNET_KEY: KEY } });
    expect(h.config.fernetKey, 'the harness passes its env through loadConfig').to.equal(KEY);
    const key = h.config.fernetKey;
    await setVariable(h.db, { key: 'secret_var', value: 'var-s3cret' }, key);
    await setVariable(h.db, { key: 'cfg', value: { nested: { region: 'eu-west' } } }, key);
    await setVariable(h.db, { key: 'foreign_var', value: 'unreadable' }, OTHER_KEY);
    await addConnection(h.db, { ...conn('my_db'), password: 'conn-s3cret', extra: '{"token": "xtok"}' }, key);
    expect((await rows<{ val: string }>(h.db, "select val from variable where key = 'secret_var'"))[0]?.val).to.not.include('var-s3cret');
    h.writeDag('secrets_dag.ts', `
import { BashOperator, DAG, task } from 'updraft';
const dag = new DAG({ dag_id: 'secrets_dag', schedule: null, start_date: '2026-01-01' });
new BashOperator({ task_id: 'templated', dag,
  bash_command: 'echo "{{ var.value.secret_var }}|{{ var.json.cfg.nested.region }}|{{ conn.my_db.password }}|{{ conn.my_db.extra_dejson.token }}|{{ conn.my_db.host }}"' });
task({ task_id: 'operator_reads', dag }, async (ctx) => (await ctx.getConnection('my_db')).password);
const bad = new DAG({ dag_id: 'foreign_key_dag', schedule: null, start_date: '2026-01-01' });
new BashOperator({ task_id: 'uses_foreign', dag: bad, bash_command: 'echo "{{ var.value.foreign_var }}"' });
`);
    await h.processDags();
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await h?.stop();
  });

  const xcom = async (dagId: string, runId: string, taskId: string) => (await rows<{ value: unknown }>(h.db, `
    select x.value from xcom x join dag_run r on r.id = x.dag_run_id
    where r.dag_id = ? and r.run_id = ? and x.task_id = ? and x.key = 'return_value'`, [dagId, runId, taskId]))[0]?.value;

  it('bash templates read var.value, var.json and conn.ID.password decrypted; operators via ctx.getConnection', async () => {
    const run = await h.trigger({ dag_id: 'secrets_dag', run_id: 'r1', conf: {} });
    expect(await h.waitForRun('secrets_dag', run.run_id)).to.equal('success');
    expect(await xcom('secrets_dag', 'r1', 'templated')).to.equal('var-s3cret|eu-west|conn-s3cret|xtok|db.example.com');
    expect(await xcom('secrets_dag', 'r1', 'operator_reads')).to.equal('conn-s3cret');
  });

  it('a variable encrypted with another key fails the task with an error naming it', async () => {
    const run = await h.trigger({ dag_id: 'foreign_key_dag', run_id: 'r1', conf: {} });
    expect(await h.waitForRun('foreign_key_dag', run.run_id)).to.equal('failed');
    const logs = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.dag_id = 'foreign_key_dag' and ti.task_id = 'uses_foreign' order by l.id`);
    expect(logs.map((l) => l.message).join('\n')).to.include('cannot decrypt variable "foreign_var"');
  });
});
