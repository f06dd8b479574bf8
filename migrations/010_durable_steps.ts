/**
 * Durable steps on Temporal (docs/adr/0006).
 * - `task_instance.external_executor_id`: Airflow's name for "where this try really
 *   runs". Here: the Temporal execution a durable task instance is attached to, written
 *   BEFORE the workflow is started, so a try that replaces a dead worker's try re-attaches
 *   to it instead of starting a second one. Cleared when the task instance is cleared.
 * - `durable_attempt`: one row per activity attempt (Temporal retries inside one try), so
 *   the UI can show each attempt, where it ran and how it ended.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('task_instance', (t) => {
    t.text('external_executor_id');
  });
  await knex.schema.createTable('durable_attempt', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('ti_id').notNullable().references('id').inTable('task_instance').onDelete('CASCADE');
    t.text('workflow_id').notNullable();
    t.text('workflow_run_id').notNullable();
    t.text('activity_id').notNullable();
    t.integer('attempt').notNullable();
    t.text('hostname');
    t.text('worker_id');
    t.timestamp('start_date', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('end_date', { useTz: true, precision: 6 });
    // success | skipped | reschedule | failed; null while running (or when its worker died)
    t.text('outcome');
    t.text('error');
    t.unique(['workflow_run_id', 'activity_id', 'attempt']);
    t.index(['ti_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('durable_attempt');
  await knex.schema.alterTable('task_instance', (t) => {
    t.dropColumn('external_executor_id');
  });
}
