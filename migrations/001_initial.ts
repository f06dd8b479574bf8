/**
 * The metadata schema: DAGs and their versions, runs, task instances and their tries,
 * XCom, checkpoints, logs, import errors, pools, variables, connections, backfills and
 * component heartbeats. PostgreSQL is the only source of truth; Redis holds no state
 * that cannot be rebuilt from these tables.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dag', (t) => {
    t.text('dag_id').primary();
    t.text('fileloc').notNullable();
    t.boolean('is_paused').notNullable().defaultTo(false);
    t.boolean('is_active').notNullable().defaultTo(true);
    t.text('description');
    t.jsonb('tags').notNullable().defaultTo('[]');
    t.text('owners');
    t.jsonb('timetable').notNullable(); // the compiled ScheduleSpec
    t.text('timetable_description');
    t.integer('max_active_runs').notNullable().defaultTo(16);
    t.integer('max_active_tasks').notNullable().defaultTo(16);
    // The next scheduled run to create; null when the schedule has no more runs.
    t.timestamp('next_dagrun', { useTz: true, precision: 6 });
    t.timestamp('next_dagrun_data_interval_start', { useTz: true, precision: 6 });
    t.timestamp('next_dagrun_data_interval_end', { useTz: true, precision: 6 });
    t.timestamp('next_dagrun_create_after', { useTz: true, precision: 6 });
    t.integer('latest_version_id');
    t.timestamp('last_parsed_at', { useTz: true, precision: 6 });
    t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`create index dag_due_idx on dag (next_dagrun_create_after)
    where is_active and not is_paused`);

  await knex.schema.createTable('dag_version', (t) => {
    t.increments('id').primary();
    t.text('dag_id').notNullable().references('dag.dag_id').onDelete('CASCADE');
    t.integer('version_number').notNullable();
    t.text('hash').notNullable(); // sha256 of the serialized DAG
    t.jsonb('serialized').notNullable();
    t.text('fileloc').notNullable();
    t.text('source_code');
    t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['dag_id', 'version_number']);
    t.unique(['dag_id', 'hash']);
  });

  await knex.schema.createTable('backfill', (t) => {
    t.increments('id').primary();
    t.text('dag_id').notNullable().references('dag.dag_id').onDelete('CASCADE');
    t.timestamp('from_date', { useTz: true, precision: 6 }).notNullable();
    t.timestamp('to_date', { useTz: true, precision: 6 }).notNullable();
    t.text('reprocess_behavior').notNullable().defaultTo('none');
    t.integer('max_active_runs').notNullable().defaultTo(10);
    t.jsonb('dag_run_conf').notNullable().defaultTo('{}');
    t.boolean('is_paused').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true, precision: 6 });
  });

  await knex.schema.createTable('dag_run', (t) => {
    t.bigIncrements('id').primary();
    t.text('dag_id').notNullable().references('dag.dag_id').onDelete('CASCADE');
    t.text('run_id').notNullable();
    t.text('run_type').notNullable();
    t.text('state').notNullable();
    t.timestamp('logical_date', { useTz: true, precision: 6 });
    t.timestamp('data_interval_start', { useTz: true, precision: 6 });
    t.timestamp('data_interval_end', { useTz: true, precision: 6 });
    t.timestamp('run_after', { useTz: true, precision: 6 }).notNullable();
    t.timestamp('queued_at', { useTz: true, precision: 6 });
    t.timestamp('start_date', { useTz: true, precision: 6 });
    t.timestamp('end_date', { useTz: true, precision: 6 });
    t.jsonb('conf').notNullable().defaultTo('{}');
    t.integer('dag_version_id').notNullable().references('dag_version.id');
    t.integer('backfill_id').references('backfill.id').onDelete('SET NULL');
    t.integer('clear_number').notNullable().defaultTo(0);
    t.text('triggered_by');
    t.text('note');
    t.timestamp('updated_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['dag_id', 'run_id']);
    // Postgres treats nulls as distinct, so several runs without a logical date may coexist.
    t.unique(['dag_id', 'logical_date']);
  });
  await knex.raw(`create index dag_run_unfinished_idx on dag_run (dag_id, state)
    where state in ('queued', 'running')`);

  await knex.schema.createTable('task_instance', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('dag_run_id').notNullable().references('dag_run.id').onDelete('CASCADE');
    t.text('dag_id').notNullable();
    t.text('run_id').notNullable();
    t.text('task_id').notNullable();
    t.integer('map_index').notNullable().defaultTo(-1);
    t.text('state'); // null = "none"
    t.integer('try_number').notNullable().defaultTo(0);
    t.integer('max_tries').notNullable().defaultTo(0);
    t.text('operator').notNullable();
    t.text('pool').notNullable().defaultTo('default_pool');
    t.integer('pool_slots').notNullable().defaultTo(1);
    t.text('queue').notNullable().defaultTo('default');
    t.integer('priority_weight').notNullable().defaultTo(1);
    // The run's logical date, copied (it never changes) so that the queue order
    // "priority, then oldest run" is one index scan instead of a join and a sort.
    t.timestamp('run_logical_date', { useTz: true, precision: 6 });
    t.timestamp('scheduled_dttm', { useTz: true, precision: 6 });
    t.timestamp('queued_dttm', { useTz: true, precision: 6 });
    t.timestamp('start_date', { useTz: true, precision: 6 });
    t.timestamp('end_date', { useTz: true, precision: 6 });
    t.double('duration');
    t.text('hostname');
    t.integer('pid');
    t.text('worker_id');
    t.timestamp('next_retry_at', { useTz: true, precision: 6 });
    t.timestamp('reschedule_at', { useTz: true, precision: 6 });
    t.text('note');
    t.timestamp('updated_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['dag_run_id', 'task_id', 'map_index']);
  });
  // Partial indexes sized to the hot questions: what is schedulable, what occupies
  // slots (pool and max_active_tasks caps), what runs on which worker (zombies).
  await knex.raw(`create index ti_pending_idx on task_instance (dag_run_id)
    where state is null or state in ('scheduled', 'up_for_retry', 'up_for_reschedule')`);
  await knex.raw(`create index ti_scheduled_idx on task_instance
    (priority_weight desc, run_logical_date nulls last, id) where state = 'scheduled'`);
  await knex.raw(`create index ti_scheduled_dag_idx on task_instance
    (dag_id, priority_weight desc, run_logical_date nulls last, id) where state = 'scheduled'`);
  await knex.raw(`create index ti_active_pool_idx on task_instance (pool) include (pool_slots)
    where state in ('queued', 'running')`);
  await knex.raw(`create index ti_active_dag_idx on task_instance (dag_id, task_id)
    where state in ('queued', 'running')`);
  await knex.raw(`create index ti_running_worker_idx on task_instance (worker_id)
    where state = 'running'`);
  await knex.raw('create index ti_dag_task_idx on task_instance (dag_id, task_id)');

  await knex.schema.createTable('task_instance_try', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('ti_id').notNullable().references('task_instance.id').onDelete('CASCADE');
    t.integer('try_number').notNullable();
    t.text('state');
    t.timestamp('start_date', { useTz: true, precision: 6 });
    t.timestamp('end_date', { useTz: true, precision: 6 });
    t.double('duration');
    t.text('hostname');
    t.integer('pid');
    t.text('worker_id');
    t.text('error');
    t.unique(['ti_id', 'try_number']);
  });

  await knex.schema.createTable('xcom', (t) => {
    t.bigInteger('dag_run_id').notNullable().references('dag_run.id').onDelete('CASCADE');
    t.text('task_id').notNullable();
    t.integer('map_index').notNullable().defaultTo(-1);
    t.text('key').notNullable();
    t.jsonb('value');
    t.timestamp('timestamp', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.primary(['dag_run_id', 'task_id', 'map_index', 'key']);
  });

  await knex.schema.createTable('checkpoint', (t) => {
    t.bigInteger('ti_id').notNullable().references('task_instance.id').onDelete('CASCADE');
    t.text('key').notNullable();
    t.jsonb('value');
    t.timestamp('updated_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.primary(['ti_id', 'key']);
  });

  await knex.schema.createTable('task_log', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('ti_id').notNullable().references('task_instance.id').onDelete('CASCADE');
    t.integer('try_number').notNullable();
    t.timestamp('ts', { useTz: true, precision: 6 }).notNullable();
    t.text('stream').notNullable(); // stdout | stderr | updraft
    t.text('message').notNullable();
    t.index(['ti_id', 'try_number', 'id']);
  });

  await knex.schema.createTable('import_error', (t) => {
    t.increments('id').primary();
    t.text('filename').notNullable().unique();
    t.text('error').notNullable();
    t.timestamp('timestamp', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('slot_pool', (t) => {
    t.text('pool').primary();
    t.integer('slots').notNullable();
    t.text('description');
    t.boolean('include_deferred').notNullable().defaultTo(false);
  });
  await knex('slot_pool').insert({ pool: 'default_pool', slots: 128, description: 'Default pool' });

  await knex.schema.createTable('variable', (t) => {
    t.text('key').primary();
    t.text('val');
    t.text('description');
    t.boolean('is_encrypted').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('connection', (t) => {
    t.text('conn_id').primary();
    t.text('conn_type').notNullable();
    t.text('description');
    t.text('host');
    t.text('schema');
    t.text('login');
    t.text('password');
    t.integer('port');
    t.text('extra');
    t.boolean('is_encrypted').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('component', (t) => {
    t.text('id').primary(); // kind-hostname-pid-random
    t.text('kind').notNullable(); // scheduler | worker | dag-processor
    t.text('hostname').notNullable();
    t.integer('pid').notNullable();
    t.text('state').notNullable().defaultTo('running');
    t.jsonb('info').notNullable().defaultTo('{}');
    t.timestamp('started_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('heartbeat_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('stopped_at', { useTz: true, precision: 6 });
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['component', 'connection', 'variable', 'slot_pool', 'import_error', 'task_log',
    'checkpoint', 'xcom', 'task_instance_try', 'task_instance', 'dag_run', 'backfill', 'dag_version', 'dag']) {
    await knex.schema.dropTableIfExists(table);
  }
}
