/**
 * FileSensor (`type: file_sensor`): waits until templated `filepath` exists (Airflow's
 * FileSensor). `filepath` may be a glob (`*`, `?`, `[...]`; `**` across directories
 * with `recursive`). A matching file ends the wait; a matching directory does when it
 * holds a file anywhere below it, as in Airflow.
 *
 * `fs_conn_id` (default fs_default): a relative `filepath` is taken under that
 * connection's `extra.path`. fs_default need not exist (then paths are used as given,
 * relative to the worker's directory); another id that is not defined fails.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import { BaseSensorOperator, SENSOR_ARGS, type PokeResult } from './base-sensor.ts';
import { glob } from './file-glob.ts';

const DEFAULT_FS_CONN_ID = 'fs_default';

const FileSensorArgsSchema = z.object({
  ...SENSOR_ARGS,
  filepath: z.string().min(1, 'filepath must not be empty'),
  fs_conn_id: z.string().min(1).optional(),
  recursive: z.boolean().optional(),
}).strict();
export type FileSensorArgs = z.infer<typeof FileSensorArgsSchema>;

export class FileSensor extends BaseSensorOperator<FileSensorArgs> {
  readonly operatorType = 'file_sensor';
  override readonly templateFields = ['fs_conn_id', 'filepath'];

  constructor(args: TaskArgs & FileSensorArgs) {
    super(args, FileSensorArgsSchema);
  }

  async poke(args: FileSensorArgs, ctx: TaskContext): Promise<PokeResult> {
    const base = await basePath(args.fs_conn_id ?? DEFAULT_FS_CONN_ID, ctx);
    // path.resolve, like Python's os.path.join: an absolute filepath ignores the base.
    const full = base ? path.resolve(base, args.filepath) : args.filepath;
    ctx.log.info(`poking for file ${full}`);
    for await (const match of glob(full, args.recursive ?? false)) {
      const stat = await fs.stat(match).catch(() => null);
      if (stat?.isFile()) {
        ctx.log.info(`found file ${match}, last modified ${stat.mtime.toISOString()}`);
        return true;
      }
      if (stat?.isDirectory() && await holdsAFile(match)) {
        ctx.log.info(`found directory ${match} holding files`);
        return true;
      }
    }
    return false;
  }
}

async function basePath(connId: string, ctx: TaskContext): Promise<string> {
  try {
    const conn = await ctx.getConnection(connId);
    return typeof conn.extra.path === 'string' ? conn.extra.path : '';
  } catch (err) {
    // Airflow installs an fs_default connection; here its absence just means "no base path".
    if (connId === DEFAULT_FS_CONN_ID && err instanceof Error && err.name === 'UserInputError') return '';
    throw err;
  }
}

/** Airflow's os.walk check: any file in the directory or below it. */
async function holdsAFile(dir: string): Promise<boolean> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  if (entries.some((e) => e.isFile())) return true;
  for (const e of entries) if (e.isDirectory() && await holdsAFile(path.join(dir, e.name))) return true;
  return false;
}
