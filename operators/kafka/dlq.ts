/**
 * The dead-letter topic `<topic>.dlq`: records that cannot be decoded go there, with the
 * error, the source topic, partition and offset in headers. The topic and the producer
 * are created on the first poison record only (most extracts never need them).
 */
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { PoisonRecord } from './records.ts';

export class DeadLetters {
  readonly topic: string;
  private producer: Producer | null = null;

  constructor(private readonly kafka: Kafka, private readonly admin: Admin, private readonly source: string) {
    this.topic = `${source}.dlq`;
  }

  async send(items: readonly PoisonRecord[]): Promise<void> {
    if (!items.length) return;
    if (!this.producer) {
      await this.admin.createTopics({ topics: [{ topic: this.topic, numPartitions: 1 }], waitForLeaders: true });
      const producer = this.kafka.producer();
      await producer.connect();
      this.producer = producer;
    }
    await this.producer.send({
      topic: this.topic,
      messages: items.map(({ key, value, partition, offset, error }) => ({
        key, value,
        headers: { error: error.slice(0, 1000), source_topic: this.source, source_partition: String(partition), source_offset: offset },
      })),
    });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
  }
}
