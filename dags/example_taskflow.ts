/**
 * TypeScript functions as tasks (Airflow's @task): return values become XComs that
 * downstream tasks pull. Manual only (no schedule): trigger it with
 *   npx updraft dags trigger example_taskflow -c '{"multiplier": 3}'
 */
import { DAG, task } from 'updraft';

const dag = new DAG({
  dag_id: 'example_taskflow',
  schedule: null,
  start_date: '2026-01-01',
  tags: ['example'],
  params: { multiplier: 2 },
});

const numbers = task({ task_id: 'numbers', dag }, () => [1, 2, 3, 4]);

const scaled = task({ task_id: 'scaled', dag }, async (ctx) => {
  const input = (await ctx.ti.xcom_pull({ task_ids: 'numbers' })) as number[];
  const factor = Number(ctx.params.multiplier);
  ctx.log.info(`scaling ${input.length} numbers by ${factor}`);
  return input.map((n) => n * factor);
});

const total = task({ task_id: 'total', dag }, async (ctx) => {
  const values = (await ctx.ti.xcom_pull({ task_ids: 'scaled' })) as number[];
  const sum = values.reduce((a, b) => a + b, 0);
  ctx.log.info(`total = ${sum}`);
  return sum;
});

numbers.rshift(scaled).rshift(total);
