/**
 * Runs in a child process: imports a DAG file and calls one of its DAG-level callbacks
 * (on_success_callback / on_failure_callback) for a finished run, then reports back.
 * Argument: a JSON object {file, dag_id, run_id, state, reason}.
 */
import { registerUpdraftSpecifier } from '../core/dag/register-specifier.ts';
import { loadDagFile } from '../core/dag/load-file.ts';
import { OPERATOR_REGISTRY } from '../operators/registry.ts';

export type CallbackMessage = { ok: true; ran: boolean } | { ok: false; error: string };

interface Request { file: string; dag_id: string; run_id: string; state: string; reason?: string }

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '{}') as Request;
  registerUpdraftSpecifier();
  const dag = (await loadDagFile(req.file, OPERATOR_REGISTRY)).find((d) => d.dag_id === req.dag_id);
  if (!dag) throw new Error(`${req.file} no longer defines DAG "${req.dag_id}"`);
  const cb = req.state === 'success' ? dag.args.on_success_callback : dag.args.on_failure_callback;
  if (cb) await cb({ dag_id: req.dag_id, run_id: req.run_id, state: req.state, reason: req.reason });
  send({ ok: true, ran: Boolean(cb) });
}

function send(msg: CallbackMessage): void {
  process.send?.(msg, () => process.exit(0));
}

main().catch((err: unknown) => send({ ok: false, error: err instanceof Error ? err.message : String(err) }));
