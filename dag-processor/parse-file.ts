/**
 * Parse one DAG file in a fresh child process with a time limit. The parent never
 * imports user code, so a broken file is only ever an import error.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParseMessage } from './parse-child.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'parse-child.ts');
/** `--import tsx` resolves from the working directory: the project root has it installed. */
const ROOT = path.resolve(HERE, '..');

export function parseDagFile(file: string, timeoutMs: number): Promise<ParseMessage> {
  return new Promise((resolve) => {
    let settled = false;
    let stderr = '';
    const child = fork(CHILD, [file], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      cwd: ROOT,
    });
    const finish = (msg: ParseMessage) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(msg);
    };
    const timer = setTimeout(() => finish({
      ok: false, error: `parsing took longer than ${timeoutMs / 1000} s (UPDRAFT_DAG_FILE_PROCESSOR_TIMEOUT): the file was stopped`,
    }), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => { if (stderr.length < 8000) stderr += chunk.toString(); });
    child.on('message', (msg) => finish(msg as ParseMessage));
    child.on('error', (err) => finish({ ok: false, error: `could not start the parser: ${err.message}` }));
    child.on('exit', (code, signal) => finish({
      ok: false, error: firstErrorLine(stderr) ?? `the file stopped the parser (exit code ${code ?? signal})`,
    }));
  });
}

/** tsx prints syntax errors to stderr before the process exits; keep the telling part. */
function firstErrorLine(stderr: string): string | null {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /Error/.test(l));
  return err ?? lines[0] ?? null;
}
