/**
 * /api/v2 XCom entries: the list (`~` for DAG, run and task; key and map_index filters;
 * paging) and one entry's value (native or stringified), after a real run whose tasks
 * return values, one of them mapped over a literal list.
 */
import { expect } from 'chai';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

const LIST = '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries';
const ONE = `${LIST}/{xcom_key}`;
const RUN = 'manual__xcom';
const BASE = `/api/v2/dags/xcom_api/dagRuns/${RUN}/taskInstances`;

describe('api: xcom entries', function () {
  this.timeout(60_000);
  let h: Harness;
  let api: ApiClient;
  const keys = (res: { body: { xcom_entries: Array<{ task_id: string; map_index: number; key: string }> } }) =>
    res.body.xcom_entries.map((x) => `${x.task_id}[${x.map_index}].${x.key}`);

  before(async () => {
    h = await Harness.create();
    h.writeDag('xcom_api.ts', `
import { DAG, task } from 'updraft';
const dag = new DAG({ dag_id: 'xcom_api', schedule: null, start_date: '2026-01-01' });
task({ task_id: 'obj', dag }, () => ({ rows: 3, tables: ['a', 'b'] }));
task({ task_id: 'text', dag }, () => 'hello');
task({ task_id: 'sq', dag }, (ctx, { n }) => Number(n) * Number(n)).expand({ n: [2, 3, 4] });
`);
    await h.processDags();
    await h.startScheduler();
    await h.startWorker();
    await h.trigger({ dag_id: 'xcom_api', run_id: RUN });
    expect(await h.waitForRun('xcom_api', RUN)).to.equal('success');
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('lists every entry with `~`, in Airflow\'s shape, with paging', async () => {
    const all = await api.get('/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries', 'viewer');
    expect(all.status).to.equal(200);
    expectAirflowSpec(all, 'get', LIST);
    expect(all.body.total_entries).to.equal(5);
    expect(keys(all)).to.deep.equal(['obj[-1].return_value', 'sq[0].return_value', 'sq[1].return_value', 'sq[2].return_value', 'text[-1].return_value']);
    expect(all.body.xcom_entries[0]).to.include({ dag_id: 'xcom_api', run_id: RUN, key: 'return_value' });
    expect(all.body.xcom_entries[0]).to.not.have.property('value');
    const page = await api.get(`${BASE}/~/xcomEntries?limit=2&offset=2`);
    expectAirflowSpec(page, 'get', LIST);
    expect(page.body.total_entries).to.equal(5);
    expect(keys(page)).to.deep.equal(['sq[1].return_value', 'sq[2].return_value']);
  });

  it('filters by task, key, map_index and patterns; injections match nothing; bad values are 422', async () => {
    const sq = await api.get(`${BASE}/sq/xcomEntries?map_index=2`);
    expectAirflowSpec(sq, 'get', LIST);
    expect(keys(sq)).to.deep.equal(['sq[2].return_value']);
    expect((await api.get(`${BASE}/~/xcomEntries?xcom_key=nope`)).body.total_entries).to.equal(0);
    expect((await api.get(`${BASE}/~/xcomEntries?task_id_pattern=ob|tex`)).body.total_entries).to.equal(2);
    const injected = await api.get(`${BASE}/~/xcomEntries?xcom_key=${encodeURIComponent("' or 1=1 --")}`);
    expect(injected.status).to.equal(200);
    expect(injected.body.total_entries).to.equal(0);
    const bad = await api.get(`${BASE}/~/xcomEntries?map_index=-5`);
    expect(bad.status).to.equal(422);
    expectAirflowSpec(bad, 'get', LIST);
    const badDate = await api.get(`${BASE}/~/xcomEntries?logical_date_gte=soon`);
    expect(badDate.status).to.equal(422);
    const noDag = await api.get('/api/v2/dags/nope/dagRuns/~/taskInstances/~/xcomEntries');
    expect(noDag.status).to.equal(404);
    expectAirflowSpec(noDag, 'get', LIST);
    expect((await api.get(`${BASE}/~/xcomEntries`, null)).status).to.equal(401);
  });

  it('gets one entry\'s value, native by default and as a string with stringify', async () => {
    const obj = await api.get(`${BASE}/obj/xcomEntries/return_value`, 'viewer');
    expectAirflowSpec(obj, 'get', ONE);
    expect(obj.body.value).to.deep.equal({ rows: 3, tables: ['a', 'b'] });
    const str = await api.get(`${BASE}/obj/xcomEntries/return_value?stringify=true`);
    expectAirflowSpec(str, 'get', ONE);
    expect(JSON.parse(str.body.value as string)).to.deep.equal({ rows: 3, tables: ['a', 'b'] });
    const text = await api.get(`${BASE}/text/xcomEntries/return_value?stringify=true&deserialize=true`);
    expect(text.body.value).to.equal('hello');
    const mapped = await api.get(`${BASE}/sq/xcomEntries/return_value?map_index=1`);
    expectAirflowSpec(mapped, 'get', ONE);
    expect(mapped.body).to.include({ map_index: 1, value: 9 });
  });

  it('an unknown key, task or map index is a 404; a bad flag is a 422', async () => {
    const missing = await api.get(`${BASE}/obj/xcomEntries/nope`);
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', ONE);
    expect(missing.body.detail).to.equal('XCom entry with key: `nope` not found');
    expect((await api.get(`${BASE}/sq/xcomEntries/return_value`)).status).to.equal(404);
    expect((await api.get(`${BASE}/ghost/xcomEntries/return_value`)).status).to.equal(404);
    const badFlag = await api.get(`${BASE}/obj/xcomEntries/return_value?stringify=maybe`);
    expect(badFlag.status).to.equal(422);
    expectAirflowSpec(badFlag, 'get', ONE);
  });
});
