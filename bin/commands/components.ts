/** `standalone`, `scheduler`, `dag-processor`, `worker`, `db migrate`. */
import type { Command } from 'commander';
import { migrate } from '../../core/db/migrate.ts';
import { loadConfig } from '../../core/config.ts';
import { rows } from '../../core/transitions/sql.ts';
import {
  migrateQuietly, runUntilSignal, startProcessor, startScheduler, startServices, startTemporalForStandalone, startWorker,
} from '../components.ts';
import { openQueueRuntime, openRuntime, withRuntime } from '../runtime.ts';
import { prepareStandaloneDemo } from '../standalone-demo.ts';
import { ensureStandaloneAdmin } from '../standalone-admin.ts';
import { startApiServer } from './web.ts';

const int = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got "${v}"`);
  return n;
};

export function registerComponentCommands(program: Command): void {
  program.command('standalone')
    .description('start PostgreSQL, Redis, the Temporal dev server, the dag-processor, a scheduler, a worker, the API and UI')
    .option('-c, --concurrency <n>', 'worker concurrency', int('--concurrency'), 16)
    .action(async (o: { concurrency: number }) => {
      const config = loadConfig();
      startServices();
      const temporal = startTemporalForStandalone(config.temporalAddress);
      const rt = await openQueueRuntime(30);
      await migrateQuietly(rt);
      for (const note of await prepareStandaloneDemo(rt.db, rt.config)) process.stderr.write(`updraft: ${note}\n`);
      const processor = await startProcessor(rt);
      const scheduler = await startScheduler(rt);
      const worker = await startWorker(rt, { queues: ['default'], concurrency: o.concurrency, shutdownGraceMs: 10_000 });
      const login = await ensureStandaloneAdmin(rt);
      const api = await startApiServer(rt);
      const url = `http://${config.apiHost === '0.0.0.0' ? '127.0.0.1' : config.apiHost}:${api.port}`;
      const [dags] = await rows<{ n: number; errors: number }>(rt.db,
        `select (select count(*)::int from dag where is_active) as n, (select count(*)::int from import_error) as errors`);
      process.stderr.write([
        '',
        `updraft standalone is running: ${dags?.n ?? 0} DAGs from ${config.dagsFolder}` +
          (dags?.errors ? `, ${dags.errors} import error(s): see \`updraft dags list-import-errors\`` : ''),
        `  UI and API:      ${url}  (login: ${login.username} / ${login.password}, saved in ${login.file})`,
        `  Temporal:        ${temporal}`,
        '  trigger a run:   npx updraft dags trigger example_bash_chain',
        '  watch it:        npx updraft dags list-runs example_bash_chain',
        '  stop:            Ctrl-C (the services keep running: bash scripts/services.sh stop --with-temporal)',
        '',
      ].join('\n'));
      await runUntilSignal([api, processor, worker, scheduler], rt);
    });

  program.command('scheduler').description('run a scheduler (several may run at once)')
    .action(async () => {
      const rt = await openQueueRuntime(10);
      await migrateQuietly(rt);
      await runUntilSignal([await startScheduler(rt)], rt);
    });

  program.command('dag-processor').description('parse the DAGs folder and keep watching it')
    .action(async () => {
      const rt = await openRuntime(6);
      await migrateQuietly(rt);
      await runUntilSignal([await startProcessor(rt)], rt);
    });

  program.command('worker').description('run tasks from the queues')
    .option('-q, --queues <names>', 'comma-separated queue names', 'default')
    .option('-c, --concurrency <n>', 'tasks run at once', int('--concurrency'), 16)
    .option('--shutdown-grace <seconds>', 'on stop, how long running tasks may finish before being handed back', int('--shutdown-grace'), 30)
    .option('--no-temporal', 'do not run durable steps (no Temporal client or worker in this process)')
    .action(async (o: { queues: string; concurrency: number; shutdownGrace: number; temporal: boolean }) => {
      const rt = await openQueueRuntime(o.concurrency + 4);
      await migrateQuietly(rt);
      const queues = o.queues.split(',').map((q) => q.trim()).filter(Boolean);
      await runUntilSignal([await startWorker(rt,
        { queues, concurrency: o.concurrency, shutdownGraceMs: o.shutdownGrace * 1000, temporal: o.temporal })], rt);
    });

  const db = program.command('db').description('metadata database');
  db.command('migrate').description('apply pending migrations (safe to run concurrently)')
    .action(async () => withRuntime(async (rt) => {
      const applied = await migrate(rt.db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    }));
}
