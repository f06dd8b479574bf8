/**
 * Run user code in a fresh child process with a time limit: the child sends one IPC
 * message and exits; a child that throws, hangs or exits early becomes an error message.
 * The processor itself never imports DAG files.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `--import tsx` resolves from the working directory: the project root has it installed. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type ChildResult<T> = { ok: true; message: T } | { ok: false; error: string };

/** `what` names the work in messages; `limitName` names the setting behind the time limit. */
export function runChild<T>(script: string, args: string[], timeoutMs: number, what: string, limitName: string): Promise<ChildResult<T>> {
  return new Promise((resolve) => {
    let settled = false;
    let stderr = '';
    const child = fork(script, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], cwd: ROOT });
    const finish = (r: ChildResult<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `${what} took longer than ${timeoutMs / 1000} s (${limitName}): it was stopped` }), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => { if (stderr.length < 8000) stderr += chunk.toString(); });
    child.on('message', (msg) => finish({ ok: true, message: msg as T }));
    child.on('error', (err) => finish({ ok: false, error: `could not start a process for ${what}: ${err.message}` }));
    child.on('exit', (code, signal) => finish({ ok: false, error: firstErrorLine(stderr) ?? `${what} stopped its process (exit code ${code ?? signal})` }));
  });
}

/** tsx prints syntax errors to stderr before the process exits; keep the telling part. */
function firstErrorLine(stderr: string): string | null {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /Error/.test(l)) ?? lines[0] ?? null;
}
