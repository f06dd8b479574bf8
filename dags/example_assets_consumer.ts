/**
 * Data-aware scheduling, the consumer side: `schedule` is a list of assets (Asset
 * objects or URI strings), and the DAG runs when EVERY one of them has been updated
 * since its last asset-triggered run. Such runs have no logical date (as in Airflow 3),
 * so templates use run_id rather than ds.
 */
import { Asset, BashOperator, chain, DAG } from 'updraft';

const dag = new DAG({
  dag_id: 'example_assets_consumer',
  description: 'Runs when both orders and customers were updated',
  schedule: [new Asset('s3://example-bucket/orders.csv'), 'postgres://warehouse/analytics.customers'],
  start_date: '2026-01-01',
  tags: ['example', 'assets'],
});

chain(
  new BashOperator({ task_id: 'join', dag, bash_command: 'echo "joining orders and customers ({{ run_id }})"' }),
  new BashOperator({ task_id: 'publish', dag, bash_command: 'echo "published {{ dag_run.run_type }} run"' }),
);
