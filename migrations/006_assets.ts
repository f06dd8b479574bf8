/**
 * Data-aware scheduling (assets), as in Airflow 3:
 * - `asset`: one row per URI ever produced (created on first event, by URI).
 * - `asset_event`: one row per successful task-instance try with the asset in its
 *   outlets. No foreign keys to runs: events are history and outlive deleted runs.
 * - `asset_dag_run_queue`: pending events per consumer DAG (Airflow's
 *   AssetDagRunQueue), one row per event rather than per asset, so the run that
 *   consumes them knows exactly which events triggered it. The scheduler deletes a
 *   DAG's rows when it creates the asset-triggered run.
 * - `dag_run_asset_event`: which events an asset-triggered run consumed
 *   (Airflow's `consumed_asset_events` / `triggering_asset_events`).
 * Consumers are found from `dag.timetable` (the compiled schedule, kind "assets"),
 * through a partial GIN index, so the dag-processor needs no extra reference table.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('asset', (t) => {
    t.increments('id').primary();
    t.text('uri').notNullable().unique();
    t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('asset_event', (t) => {
    t.bigIncrements('id').primary();
    t.integer('asset_id').notNullable().references('asset.id').onDelete('CASCADE');
    t.text('source_dag_id');
    t.text('source_run_id');
    t.text('source_task_id');
    t.integer('source_map_index').notNullable().defaultTo(-1);
    t.timestamp('timestamp', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.jsonb('extra').notNullable().defaultTo('{}');
  });
  await knex.raw('create index asset_event_asset_ts_idx on asset_event (asset_id, timestamp)');

  await knex.schema.createTable('asset_dag_run_queue', (t) => {
    t.text('target_dag_id').notNullable().references('dag.dag_id').onDelete('CASCADE');
    t.integer('asset_id').notNullable().references('asset.id').onDelete('CASCADE');
    t.bigInteger('event_id').notNullable().references('asset_event.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.primary(['target_dag_id', 'event_id']);
  });

  await knex.schema.createTable('dag_run_asset_event', (t) => {
    t.bigInteger('dag_run_id').notNullable().references('dag_run.id').onDelete('CASCADE');
    t.bigInteger('event_id').notNullable().references('asset_event.id').onDelete('CASCADE');
    t.primary(['dag_run_id', 'event_id']);
  });

  // "Which active DAGs are scheduled on this URI?", asked once per recorded event.
  await knex.raw(`create index dag_asset_consumers_idx on dag using gin ((timetable -> 'uris'))
    where timetable ->> 'kind' = 'assets'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists dag_asset_consumers_idx');
  await knex.schema.dropTable('dag_run_asset_event');
  await knex.schema.dropTable('asset_dag_run_queue');
  await knex.schema.dropTable('asset_event');
  await knex.schema.dropTable('asset');
}
