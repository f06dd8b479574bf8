/**
 * `updraft dag-processor`: keeps the database in step with the DAGs folder. Every file
 * is parsed at start; then chokidar reports changes and a changed file is parsed again
 * after a short debounce (editors write in several steps), so a saved file is live in
 * well under a second. At most two files are parsed at once (the machine has 2 cores).
 */
import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/connect.ts';
import { isDagFile } from '../core/dag/load-file.ts';
import type { Logger } from '../core/logging.ts';
import { heartbeatComponent, registerComponent, stopComponent } from '../core/transitions/component.ts';
import { rows } from '../core/transitions/sql.ts';
import { parseDagFile } from './parse-file.ts';
import { forgetFile, syncFile } from './sync-file.ts';
import { runPendingDagCallbacks } from './dag-callbacks.ts';

const DEBOUNCE_MS = 60;
const PARALLEL_PARSES = 2;

export interface ProcessorResources { config: Config; db: Db; log: Logger }

export class DagProcessor {
  private watcher: FSWatcher | null = null;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiting: string[] = [];
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private componentId = '';
  private heartbeat: NodeJS.Timeout | null = null;
  private ticking = false;

  constructor(private readonly r: ProcessorResources) {}

  /** Parse every file once and return the number of import errors (used by CLI and tests). */
  async processAll(): Promise<number> {
    const files = listDagFiles(this.r.config.dagsFolder);
    await this.forgetVanished(files);
    for (const f of files) this.enqueue(f);
    await this.idle();
    const [row] = await rows<{ n: number }>(this.r.db, 'select count(*)::int as n from import_error where filename like ?',
      [`${this.r.config.dagsFolder}%`]);
    return row?.n ?? 0;
  }

  async start(): Promise<void> {
    this.componentId = await registerComponent(this.r.db, 'dag-processor', this.r.config.hostname);
    // Watch first, scan second: a file written during the scan is then either in the
    // listing or reported by the watcher, never lost between the two.
    this.watcher = watch(this.r.config.dagsFolder, {
      ignoreInitial: true,
      // Directories have no extension: only files that are not DAG files are ignored.
      ignored: (p: string) => p.includes('node_modules') || (path.extname(p) !== '' && !isDagFile(p)),
    });
    this.watcher.on('add', (f) => this.debounce(f));
    this.watcher.on('change', (f) => this.debounce(f));
    this.watcher.on('unlink', (f) => { if (isDagFile(f)) void this.forget(f); });
    await new Promise<void>((resolve) => this.watcher?.once('ready', () => resolve()));
    const errors = await this.processAll();
    this.r.log.info({ folder: this.r.config.dagsFolder, importErrors: errors }, 'dag-processor parsed the DAGs folder');
    this.heartbeat = setInterval(() => void this.tick(), this.r.config.heartbeatIntervalMs);
  }

  /** Each heartbeat: say we are alive, then run the DAG callbacks of runs that ended. */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await heartbeatComponent(this.r.db, this.componentId);
      while (await runPendingDagCallbacks(this.r.db, this.r.config, this.r.log) > 0) { /* drain */ }
    } catch (err) {
      this.r.log.warn({ err }, 'dag-processor housekeeping failed');
    } finally {
      this.ticking = false;
    }
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    while (this.ticking) await new Promise((res) => setTimeout(res, 20));
    for (const t of this.timers.values()) clearTimeout(t);
    await this.watcher?.close();
    await this.idle();
    if (this.componentId) await stopComponent(this.r.db, this.componentId).catch(() => undefined);
  }

  /** Resolves when nothing is waiting or being parsed. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((res) => this.idleWaiters.push(res));
  }

  private debounce(file: string): void {
    if (!isDagFile(file)) return;
    clearTimeout(this.timers.get(file));
    this.timers.set(file, setTimeout(() => { this.timers.delete(file); this.enqueue(file); }, DEBOUNCE_MS));
  }

  private enqueue(file: string): void {
    if (!this.waiting.includes(file)) this.waiting.push(file);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < PARALLEL_PARSES && this.waiting.length) {
      const file = this.waiting.shift()!;
      this.inFlight += 1;
      void this.process(file).finally(() => {
        this.inFlight -= 1;
        this.pump();
        if (this.inFlight === 0 && this.waiting.length === 0) {
          for (const w of this.idleWaiters.splice(0)) w();
        }
      });
    }
  }

  private async process(file: string): Promise<void> {
    const started = Date.now();
    try {
      if (!fs.existsSync(file)) { await forgetFile(this.r.db, file); return; }
      const result = await parseDagFile(file, this.r.config.parseTimeoutMs);
      const error = await syncFile(this.r.db, file, result, { pausedAtCreation: this.r.config.dagsArePausedAtCreation, now: new Date() });
      const ms = Date.now() - started;
      if (error) this.r.log.warn({ file, error, ms }, 'import error');
      else this.r.log.info({ file, dags: result.ok ? result.dags.map((d) => d.dag_id) : [], ms }, 'DAG file processed');
    } catch (err) {
      this.r.log.error({ err, file }, 'could not store the parse result');
    }
  }

  private async forget(file: string): Promise<void> {
    await forgetFile(this.r.db, file).catch((err: unknown) => this.r.log.error({ err, file }, 'could not deactivate DAGs'));
    this.r.log.info({ file }, 'DAG file removed: its DAGs are inactive');
  }

  /** Files deleted while no processor ran: deactivate their DAGs now. */
  private async forgetVanished(present: string[]): Promise<void> {
    const known = await rows<{ fileloc: string }>(this.r.db,
      `select distinct fileloc from dag where is_active and fileloc like ? union select filename from import_error where filename like ?`,
      [`${this.r.config.dagsFolder}%`, `${this.r.config.dagsFolder}%`]);
    for (const { fileloc } of known) if (!present.includes(fileloc)) await forgetFile(this.r.db, fileloc);
  }
}

export function listDagFiles(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && isDagFile(full) && !full.includes('node_modules')) out.push(full);
  }
  return out.sort();
}
