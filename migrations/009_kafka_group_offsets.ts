/**
 * `kafka_group_offsets`: per Kafka consumer group, topic and partition, the last offset
 * that a `kafka_extract` sink on this database holds (a jsonl file whose checkpoint is
 * here, or a postgres table in this database). Written in the same transaction as the
 * task's checkpoint, so it is never ahead of or behind the sink; shared by all the task
 * instances of the group, so a partition that moves to another instance resumes after
 * what is written even when its previous holder died before committing to Kafka
 * (operators/kafka/group-offsets.ts). Offset -1 means none (a row inserted only to be
 * locked). No foreign keys: offsets belong to the group, not to a task instance, and
 * outlive runs and cleared task instances, as Kafka's own group offsets do.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('kafka_group_offsets', (t) => {
    t.text('consumer_group').notNullable();
    t.text('topic').notNullable();
    t.integer('partition').notNullable();
    t.bigInteger('offset').notNullable();
    t.timestamp('updated_at', { useTz: true, precision: 6 }).notNullable().defaultTo(knex.fn.now());
    t.primary(['consumer_group', 'topic', 'partition']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('kafka_group_offsets');
}
