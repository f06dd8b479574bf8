/**
 * The web server's tables: users (for the REST API's and the UI's logins, with
 * Airflow's roles) and the event log, Airflow's audit record of every change made
 * through the API, the UI or the CLI.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('app_user', (t) => {
    t.increments('id').primary();
    t.text('username').notNullable().unique();
    t.text('password_hash').notNullable();
    t.text('role').notNullable(); // admin | op | user | viewer
    t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_login', { useTz: true, precision: 6 });
  });
  await knex.schema.createTable('event_log', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('dttm', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.text('event').notNullable();
    t.text('owner');
    t.text('dag_id');
    t.text('task_id');
    t.text('run_id');
    t.integer('map_index');
    t.integer('try_number');
    t.timestamp('logical_date', { useTz: true, precision: 6 });
    t.text('extra');
  });
  await knex.raw('create index event_log_dttm_idx on event_log (dttm desc)');
  await knex.raw('create index event_log_dag_idx on event_log (dag_id, dttm desc)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('event_log');
  await knex.schema.dropTable('app_user');
}
