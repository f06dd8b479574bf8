/**
 * Task groups (Airflow's TaskGroup): tasks created with `task_group: tg` get the group's
 * id as a prefix ("extract.orders") and its default_args; a whole group is one end of a
 * dependency, linked through its first (root) and last (leaf) tasks.
 */
import { BashOperator, chain, DAG, EmptyOperator, TaskGroup, taskGroup } from 'updraft';

const dag = new DAG({
  dag_id: 'example_task_groups',
  description: 'Extract two sources in parallel, then transform and load, each step a task group',
  schedule: '@daily',
  start_date: '2026-01-01',
  catchup: false,
  tags: ['example', 'task_group'],
  default_args: { retries: 1, retry_delay: 1 },
});

const start = new EmptyOperator({ task_id: 'start', dag });

// A group's default_args are merged over the DAG's: these tasks get two retries.
const extract = new TaskGroup({ group_id: 'extract', dag, tooltip: 'pull the raw data', default_args: { retries: 2 } });
new BashOperator({ task_id: 'orders', task_group: extract, bash_command: 'echo "orders for {{ ds }}"; echo 12' });
new BashOperator({ task_id: 'customers', task_group: extract, bash_command: 'echo "customers for {{ ds }}"; echo 3' });

// The callback form; `parent_group` nests a group ("transform.checks.*").
const transform = taskGroup({ group_id: 'transform', dag }, (tg) => {
  const join = new BashOperator({
    task_id: 'join', task_group: tg,
    bash_command: 'echo "joined {{ ti.xcom_pull(task_ids=\'extract.orders\') }} orders"',
  });
  const checks = taskGroup({ group_id: 'checks', parent_group: tg }, (c) => {
    new BashOperator({ task_id: 'not_empty', task_group: c, bash_command: 'echo "rows > 0"' });
    new BashOperator({ task_id: 'unique_ids', task_group: c, bash_command: 'echo "ids unique"' });
  });
  join.rshift(checks);
});

const load = new BashOperator({ task_id: 'load', dag, bash_command: 'echo "loading {{ ds }}"' });

// start >> extract.{orders,customers} >> transform.join >> transform.checks.* >> load
chain(start, extract, transform, load);
