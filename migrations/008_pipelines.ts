/**
 * The pipeline API's storage: one `pipeline` row per name and every version of its
 * declarative definition, history kept (a re-post or a schedule change adds a version,
 * never overwrites one). The DAG itself lives in the DAGs folder like any other DAG.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('pipeline', (t) => {
    t.increments('id').primary();
    t.text('name').notNullable().unique();
    t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('pipeline_version', (t) => {
    t.bigIncrements('id').primary();
    t.integer('pipeline_id').notNullable().references('id').inTable('pipeline').onDelete('CASCADE');
    t.integer('version').notNullable();
    // json, not jsonb: the author's key order is kept, in answers and in the DAG file.
    t.json('definition').notNullable();
    t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.text('created_by');
    t.unique(['pipeline_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('pipeline_version');
  await knex.schema.dropTable('pipeline');
}
