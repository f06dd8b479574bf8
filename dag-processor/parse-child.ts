/**
 * Runs in a child process, one per parse: imports one DAG file, serializes its DAGs and
 * sends them to the parent over IPC. A file that throws, hangs or exits cannot harm the
 * processor or any other DAG; the parent kills this process at the time limit.
 */
import { registerUpdraftSpecifier } from '../core/dag/register-specifier.ts';
import { loadDagFile } from '../core/dag/load-file.ts';
import { serializeDag } from '../core/dag/serialize.ts';
import type { DagSpec } from '../core/dag/spec.ts';
import { OPERATOR_REGISTRY } from '../operators/registry.ts';

export type ParseMessage = { ok: true; dags: DagSpec[] } | { ok: false; error: string };

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: parse-child FILE');
  registerUpdraftSpecifier();
  const dags = await loadDagFile(file, OPERATOR_REGISTRY);
  if (dags.length === 0) throw new Error('no DAG found: the file must create one with new DAG({...}) at top level');
  const seen = new Set<string>();
  for (const d of dags) {
    if (seen.has(d.dag_id)) throw new Error(`DAG "${d.dag_id}" is defined twice in this file`);
    seen.add(d.dag_id);
  }
  send({ ok: true, dags: dags.map((d) => serializeDag(d, file)) });
}

function send(msg: ParseMessage): void {
  process.send?.(msg, () => process.exit(0));
}

main().catch((err: unknown) => {
  const error = err instanceof Error ? (err.name === 'SyntaxError' ? `SyntaxError: ${err.message}` : err.message) : String(err);
  send({ ok: false, error });
});
