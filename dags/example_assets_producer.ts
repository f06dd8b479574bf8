/**
 * Data-aware scheduling, the producer side: each task declares the assets it updates in
 * `outlets`. When such a task succeeds, Updraft records an asset event, and DAGs
 * scheduled on the asset (see example_assets_consumer.ts) run once all of theirs were
 * updated. A failed or skipped task updates nothing.
 */
import { Asset, BashOperator, DAG } from 'updraft';

const ORDERS = new Asset('s3://example-bucket/orders.csv', { name: 'orders' });
const CUSTOMERS = new Asset('postgres://warehouse/analytics.customers', { name: 'customers' });

const dag = new DAG({
  dag_id: 'example_assets_producer',
  description: 'Updates two assets; their consumer runs when both are fresh',
  schedule: '@daily',
  start_date: '2026-01-01',
  catchup: false,
  tags: ['example', 'assets'],
});

new BashOperator({
  task_id: 'export_orders', dag, outlets: [ORDERS],
  bash_command: 'echo "exported orders for {{ ds }}"',
});
new BashOperator({
  task_id: 'refresh_customers', dag, outlets: [CUSTOMERS],
  bash_command: 'echo "refreshed customers for {{ ds }}"',
});
