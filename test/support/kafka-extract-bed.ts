/**
 * What the kafka_extract integration files share: the text of a DAG file of extract
 * tasks, and a test bed that registers the file's mocha hooks: a harness with its
 * scheduler and worker started, a scratch folder, and the topics made through it (with
 * their dead-letter topics) deleted at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Harness } from './harness.ts';
import { createTopic, deleteTopic, requireBroker, uniqueTopic } from './kafka.ts';
import { createHarness } from './res-procs.ts';

/** A DAG of KafkaExtractOperator tasks: task id → the operator's arguments. */
export function extractDag(dagId: string, tasks: Record<string, Record<string, unknown>>): string {
  return `import { DAG, KafkaExtractOperator } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2026-01-01' });
${Object.entries(tasks).map(([id, a]) => `new KafkaExtractOperator({ task_id: '${id}', dag, ...${JSON.stringify(a)} });`).join('\n')}
`;
}

export interface ExtractBed {
  /** The harness (set in the before hook). */
  readonly h: Harness;
  /** A scratch folder, removed at the end. */
  readonly dir: string;
  /** A new topic named after the bed's label, deleted at the end with its `.dlq`. */
  topic(partitions: number): Promise<string>;
  /** Writes an extractDag file and processes the DAG folder, expecting no import error. */
  deploy(dagId: string, tasks: Record<string, Record<string, unknown>>): Promise<void>;
}

/** Call inside a describe: registers its before and after hooks. */
export function extractBed(label: string): ExtractBed {
  let harness: Harness | null = null;
  let dir = '';
  const topics: string[] = [];
  before(async () => {
    await requireBroker();
    harness = await createHarness();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `updraft-kx-${label}-`));
    await harness.startScheduler();
    await harness.startWorker();
  });
  after(async () => {
    await harness?.stop();
    for (const t of topics) await deleteTopic(t).catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const bed: ExtractBed = {
    get h() {
      if (!harness) throw new Error('extractBed: the harness is only there inside the tests');
      return harness;
    },
    get dir() { return dir; },
    async topic(partitions) {
      const t = uniqueTopic(label);
      topics.push(t, `${t}.dlq`);
      await createTopic(t, partitions);
      return t;
    },
    async deploy(dagId, tasks) {
      bed.h.writeDag(`${dagId}.ts`, extractDag(dagId, tasks));
      expect(await bed.h.processDags(), 'import errors').to.equal(0);
    },
  };
  return bed;
}
