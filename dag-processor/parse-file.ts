/**
 * Parse one DAG file in a fresh child process with a time limit. The parent never
 * imports user code, so a broken file is only ever an import error.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParseMessage } from './parse-child.ts';
import { runChild } from './run-child.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'parse-child.ts');

export async function parseDagFile(file: string, timeoutMs: number): Promise<ParseMessage> {
  const r = await runChild<ParseMessage>(CHILD, [file], timeoutMs, 'parsing', 'UPDRAFT_DAG_FILE_PROCESSOR_TIMEOUT');
  return r.ok ? r.message : { ok: false, error: r.error };
}
