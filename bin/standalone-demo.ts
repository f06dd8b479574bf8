/**
 * What the seed pipeline (dags/daily_revenue_pipeline.json) needs to run green in
 * standalone mode, created only when missing: a `raw.orders` table with a week of sample
 * orders, and a `slack` connection of type `log`, so its notification lands in the task
 * log until a real Slack incoming-webhook connection replaces it.
 */
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/connect.ts';
import { findConnection } from '../core/connections/get-connection.ts';
import { addConnection } from '../core/connections/manage-connections.ts';
import { rows } from '../core/transitions/sql.ts';

export async function prepareStandaloneDemo(db: Db, config: Config): Promise<string[]> {
  const notes: string[] = [];
  const [table] = await rows<{ exists: boolean }>(db, `select to_regclass('raw.orders') is not null as exists`);
  if (!table?.exists) {
    await db.transaction(async (trx) => {
      await trx.raw('create schema if not exists raw');
      await trx.raw('create table raw.orders (order_id serial primary key, date date not null, region text not null, amount numeric(12, 2) not null)');
      // Ten orders a day in three regions for the past week and the next day, so the
      // daily run finds data whatever day it processes.
      await trx.raw(`insert into raw.orders (date, region, amount)
        select current_date - d, (array['EU', 'US', 'APAC'])[1 + (n % 3)], round((20 + ((d * 37 + n * 11) % 80))::numeric, 2)
        from generate_series(-1, 7) d, generate_series(1, 10) n`);
    });
    notes.push('created raw.orders with sample orders (for dags/daily_revenue_pipeline.json)');
  }
  if (!(await findConnection(db, 'slack', config.databaseUrl, config.fernetKey))) {
    await addConnection(db, { conn_id: 'slack', conn_type: 'log', description: 'standalone demo: messages go to the task log',
      host: null, schema: null, login: null, password: null, port: null, extra: null }, config.fernetKey);
    notes.push('added connection "slack" of type log (notifications go to the task log; for real Slack: '
      + 'updraft connections delete slack && updraft connections add slack --conn-type slack --conn-host <incoming-webhook URL>)');
  }
  return notes;
}
