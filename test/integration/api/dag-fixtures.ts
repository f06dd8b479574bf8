/**
 * DAG files for the API's DAG tests: four DAGs with different tags, owners and
 * schedules (alpha, beta, gamma, zeta) and one file that fails to import.
 */
export const DAG_FILES: Record<string, string> = {
  'alpha.ts': `
import { BashOperator, DAG, EmptyOperator, TaskGroup, task } from 'updraft';
const dag = new DAG({
  dag_id: 'alpha', description: 'the alpha DAG', schedule: '0 6 * * *', start_date: '2026-01-01',
  timezone: 'Europe/Amsterdam', catchup: false, tags: ['finance', 'daily'], owner: 'alice',
  params: { region: 'eu' }, max_active_runs: 2, dagrun_timeout: { hours: 1 },
  default_args: { retries: 2, retry_delay: 90 },
});
const start = new EmptyOperator({ task_id: 'start', dag });
const extract = new BashOperator({ task_id: 'extract', dag, bash_command: 'echo {{ ds }}', execution_timeout: { minutes: 10 },
  retry_exponential_backoff: true, trigger_rule: 'all_done' });
const files = task({ task_id: 'files', dag }, () => ['a', 'b']);
const load = BashOperator.partial({ task_id: 'load', dag }).expand({ bash_command: ['echo a', 'echo b'] });
const group = new TaskGroup({ group_id: 'grp', dag });
const inner = new EmptyOperator({ task_id: 'inner', task_group: group });
start.rshift(extract);
extract.rshift([files, load]);
load.rshift(inner);
`,
  'beta.yaml': `
dag_id: beta
schedule: null
tags: [finance]
tasks:
  - { id: only, type: bash, bash_command: 'echo beta' }
`,
  'gamma.ts': `
import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'gamma', schedule: '@daily', start_date: '2026-01-01', catchup: false, tags: ['ops'] });
new EmptyOperator({ task_id: 'capped', dag, max_active_tis_per_dag: 1 });
`,
  'zeta.yaml': `
dag_id: zeta
schedule: null
tasks:
  - { id: z, type: empty }
`,
  'broken.ts': `
import { DAG } from 'updraft';
new DAG({ dag_id: 'broken', schedule: 'not a schedule' });
`,
};
