/** Standalone's demo set-up makes the unchanged seed pipeline run green, and is idempotent. */
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { prepareStandaloneDemo } from '../../bin/standalone-demo.ts';
import { Harness } from '../support/harness.ts';

describe('standalone demo set-up', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await Harness.create();
    h.copyExampleDag('daily_revenue_pipeline.json');
    expect(await h.processDags()).to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  it('creates raw.orders and a log-type slack connection once; the seed pipeline then succeeds', async () => {
    const first = await prepareStandaloneDemo(h.db, h.config);
    expect(first).to.have.length(2);
    expect(await prepareStandaloneDemo(h.db, h.config), 'nothing to do the second time').to.deep.equal([]);
    const [conn] = await rows<{ conn_type: string }>(h.db, `select conn_type from connection where conn_id = 'slack'`);
    expect(conn?.conn_type).to.equal('log');

    const day = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() - 3, 6));
    const run = await h.trigger({ dag_id: 'daily_revenue_pipeline', logical_date: day });
    expect(await h.waitForRun('daily_revenue_pipeline', run.run_id)).to.equal('success');
    const expected = await rows<{ region: string; revenue: string }>(h.db, `
      select region, sum(amount)::text as revenue from raw.orders where date = ?::date group by region order by region`,
    [day.toISOString().slice(0, 10)]);
    const actual = await rows<{ region: string; revenue: string }>(h.db,
      'select region, revenue::text as revenue from analytics.revenue_by_region order by region');
    expect(actual).to.deep.equal(expected);
    expect(actual.length).to.equal(3);
  });
});
