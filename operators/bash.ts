/**
 * BashOperator: runs a templated bash command in its own process group, so that a
 * timeout or a stopping worker kills the command and everything it started.
 * Exit 0 = success (last stdout line is the XCom), skip_on_exit_code = skipped,
 * anything else fails.
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../core/authoring/base-operator.ts';
import type { TaskContext } from '../core/authoring/context.ts';
import { TaskSkip } from '../core/errors.ts';

export const BashArgsSchema = z.object({
  bash_command: z.string({ error: 'bash_command is required (a string)' }).min(1, 'bash_command must not be empty'),
  env: z.record(z.string(), z.string()).nullable().optional(),
  append_env: z.boolean().optional(),
  cwd: z.string().nullable().optional(),
  skip_on_exit_code: z.union([z.number().int(), z.array(z.number().int())]).nullable().optional(),
}).strict();
export type BashArgs = z.infer<typeof BashArgsSchema>;

/** After SIGTERM, how long a command gets to exit before SIGKILL. */
const KILL_GRACE_MS = 5_000;

export class BashOperator extends BaseOperator<BashArgs> {
  readonly operatorType = 'bash';
  override readonly templateFields = ['bash_command', 'env', 'cwd'];

  constructor(args: TaskArgs & BashArgs) {
    super(args, BashArgsSchema);
  }

  execute(args: BashArgs, ctx: TaskContext): Promise<string | undefined> {
    return runBashCommand(args, ctx);
  }
}

/** Run a rendered bash command for a task; resolves with its last stdout line. */
export async function runBashCommand(args: BashArgs, ctx: TaskContext): Promise<string | undefined> {
  const env = args.env ? (args.append_env ? { ...process.env, ...args.env } : { ...args.env }) : { ...process.env };
  // Airflow exports the run's identity to the command's environment.
  Object.assign(env, {
    AIRFLOW_CTX_DAG_ID: ctx.dag_id, AIRFLOW_CTX_TASK_ID: ctx.task_id, AIRFLOW_CTX_DAG_RUN_ID: ctx.run_id,
    AIRFLOW_CTX_TRY_NUMBER: String(ctx.ti.try_number),
    AIRFLOW_CTX_LOGICAL_DATE: ctx.logical_date?.toISOString() ?? '',
  });
  const child = spawn('bash', ['-c', args.bash_command], {
    cwd: args.cwd ?? undefined, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lastLine: string | undefined;
  const out = readline.createInterface({ input: child.stdout });
  out.on('line', (line) => { lastLine = line; ctx.log.info(line); });
  const err = readline.createInterface({ input: child.stderr });
  err.on('line', (line) => ctx.log.warn(line));

  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid !== undefined) { try { process.kill(-child.pid, signal); } catch { /* already gone */ } }
  };
  let hardKill: NodeJS.Timeout | undefined;
  const onAbort = () => {
    ctx.log.warn('sending SIGTERM to the command\'s process group');
    killGroup('SIGTERM');
    hardKill = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    hardKill.unref();
  };
  if (ctx.signal.aborted) onAbort(); else ctx.signal.addEventListener('abort', onAbort, { once: true });

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => {
    ctx.signal.removeEventListener('abort', onAbort);
    if (hardKill) clearTimeout(hardKill);
    // The shell is gone; make sure nothing it started in background lingers.
    killGroup('SIGKILL');
  });

  if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('task aborted');
  ctx.log.info(`Command exited with return code ${code ?? `signal ${signal}`}`);
  const skipCodes = args.skip_on_exit_code === null ? [] : [args.skip_on_exit_code ?? 99].flat();
  if (code !== null && skipCodes.includes(code)) throw new TaskSkip(`Bash command returned exit code ${code}. Skipping.`);
  if (code !== 0) throw new Error(`Bash command failed. The command returned a non-zero exit code ${code ?? `(killed by ${signal})`}.`);
  return lastLine;
}
