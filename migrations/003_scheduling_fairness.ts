/**
 * Fair turns for running runs: the scheduler examines the runs it looked at least
 * recently first (Airflow's last_scheduling_decision), so runs waiting on a full pool or
 * a long upstream never starve newer runs out of a batch.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dag_run', (t) => {
    t.timestamp('last_scheduling_decision', { useTz: true, precision: 6 });
  });
  await knex.raw(`create index dag_run_running_decision_idx on dag_run (last_scheduling_decision nulls first, id)
    where state = 'running'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists dag_run_running_decision_idx');
  await knex.schema.alterTable('dag_run', (t) => { t.dropColumn('last_scheduling_decision'); });
}
