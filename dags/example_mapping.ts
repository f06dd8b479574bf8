/**
 * Dynamic task mapping: one task definition, one task instance per value, decided at
 * run time. `regions` returns a list; `summarize` runs once per region (map_index
 * 0..N-1); `report` receives every instance's value, in order. `notify` maps a bash
 * command over a literal list, and `max_active_tis_per_dag: 2` runs at most two of
 * its instances at once. Trigger it with
 *   npx updraft dags trigger example_mapping -c '{"regions": ["north", "south", "east", "west", "central"]}'
 */
import { DAG, BashOperator, task } from 'updraft';

const dag = new DAG({
  dag_id: 'example_mapping',
  schedule: null,
  start_date: '2026-01-01',
  tags: ['example', 'mapping'],
  params: { regions: ['north', 'south', 'east'] },
});

const regions = task({ task_id: 'regions', dag }, (ctx) => ctx.params.regions as string[]);

const summarize = task({ task_id: 'summarize', dag }, (ctx, { region }) => {
  ctx.log.info(`instance ${ctx.ti.map_index}: summarizing ${String(region)}`);
  return { region, orders: String(region).length * 10 };
}).expand({ region: regions.output });

const report = task({ task_id: 'report', dag }, async (ctx) => {
  const rows = (await ctx.ti.xcom_pull({ task_ids: 'summarize' })) as Array<{ region: string; orders: number }>;
  const total = rows.reduce((sum, r) => sum + r.orders, 0);
  ctx.log.info(`${rows.length} regions, ${total} orders`);
  return total;
});

const notify = BashOperator.partial({ task_id: 'notify', dag, max_active_tis_per_dag: 2 })
  .expand({ bash_command: ['echo "to ops: {{ ti.map_index }}"', 'echo "to sales"', 'echo "to finance"'] });

summarize.rshift(report).rshift(notify);
