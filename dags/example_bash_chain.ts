/**
 * A small daily pipeline of bash tasks: templated commands, retries from default_args,
 * and Airflow-style dependencies with rshift (Airflow's >>) and chain().
 */
import { BashOperator, chain, DAG, EmptyOperator } from 'updraft';

const dag = new DAG({
  dag_id: 'example_bash_chain',
  description: 'Extract, transform and report with bash tasks',
  schedule: '@daily',
  start_date: '2026-01-01',
  catchup: false,
  tags: ['example', 'bash'],
  params: { greeting: 'hello' },
  default_args: { retries: 2, retry_delay: 1 },
});

const start = new EmptyOperator({ task_id: 'start', dag });
const extract = new BashOperator({
  task_id: 'extract', dag,
  bash_command: 'echo "extracting data for {{ ds }} (run {{ run_id }})"; echo 42',
});
const transform = new BashOperator({
  task_id: 'transform', dag,
  bash_command: 'echo "{{ params.greeting }}: got {{ ti.xcom_pull(task_ids=\'extract\') }} rows"',
});
const report = new BashOperator({
  task_id: 'report', dag,
  bash_command: 'echo "report for the interval {{ data_interval_start }} to {{ data_interval_end }}"',
});

chain(start, extract, transform, report);
