/**
 * DAG-level callbacks (on_success_callback / on_failure_callback) are user code, so the
 * scheduler and workers never run them: a run that ends with callbacks to run is marked,
 * and the dag-processor runs them in a child process (as Airflow 3 does).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dag_run', (t) => {
    t.boolean('callbacks_pending').notNullable().defaultTo(false);
  });
  await knex.raw('create index dag_run_callbacks_pending_idx on dag_run (id) where callbacks_pending');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists dag_run_callbacks_pending_idx');
  await knex.schema.alterTable('dag_run', (t) => { t.dropColumn('callbacks_pending'); });
}
