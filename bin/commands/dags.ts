/** `updraft dags ...`: list, list-import-errors, trigger, pause, unpause, list-runs, test. */
import type { Command } from 'commander';
import { UserInputError } from '../../core/errors.ts';
import { recordEvent } from '../../core/transitions/event-log.ts';
import { notifyScheduler } from '../../core/transitions/notify.ts';
import { rows } from '../../core/transitions/sql.ts';
import { triggerDagRun, NotFoundError } from '../../core/transitions/trigger-run.ts';
import { testDagRun } from '../foreground.ts';
import { cliOwner, parseDateArg, parseFormat, printRows, type OutputFormat } from '../output.ts';
import { openQueueRuntime, withRuntime, type Runtime } from '../runtime.ts';

const OUTPUT = ['-o, --output <format>', 'table or json', parseFormat, 'table'] as const;

async function requireDag(rt: Runtime, dagId: string): Promise<void> {
  const [dag] = await rows(rt.db, 'select 1 from dag where dag_id = ?', [dagId]);
  if (!dag) throw new NotFoundError(`DAG "${dagId}" not found (see \`updraft dags list\`)`);
}

export function registerDagCommands(program: Command): void {
  const dags = program.command('dags').description('DAGs and their runs');

  dags.command('list').description('list active DAGs').option(...OUTPUT)
    .action(async (o: { output: OutputFormat }) => withRuntime(async (rt) => {
      const list = await rows<Record<string, unknown>>(rt.db, `
        select dag_id, is_paused, fileloc, timetable_description as schedule, next_dagrun,
          next_dagrun_create_after as next_run_after
        from dag where is_active order by dag_id`);
      printRows(list, ['dag_id', 'is_paused', 'fileloc', 'schedule', 'next_dagrun', 'next_run_after'], o.output);
    }));

  dags.command('list-import-errors').description('files that could not be loaded, and why').option(...OUTPUT)
    .action(async (o: { output: OutputFormat }) => withRuntime(async (rt) => {
      const list = await rows<Record<string, unknown>>(rt.db, 'select filename, error, timestamp from import_error order by filename');
      printRows(list, ['filename', 'error'], o.output);
    }));

  dags.command('trigger <dag_id>').description('create a manual run')
    .option('-r, --run-id <run_id>', 'the run id (default manual__<logical date>)')
    .option('-c, --conf <json>', 'a JSON object passed to the run as dag_run.conf')
    .option('-l, --logical-date <date>', 'ISO-8601 logical date (default now)')
    .option(...OUTPUT)
    .action(async (dagId: string, o: { runId?: string; conf?: string; logicalDate?: string; output: OutputFormat }) => withRuntime(async (rt) => {
      let conf: unknown = {};
      if (o.conf !== undefined) {
        try { conf = JSON.parse(o.conf); } catch { throw new UserInputError(`--conf is not valid JSON: ${o.conf}`); }
      }
      const run = await triggerDagRun(rt.db, {
        dag_id: dagId, run_id: o.runId ?? null, conf,
        logical_date: o.logicalDate ? parseDateArg(o.logicalDate, '--logical-date') : undefined,
      });
      await recordEvent(rt.db, { event: 'cli_dag_trigger', owner: cliOwner(), dag_id: dagId, run_id: run.run_id, logical_date: run.logical_date });
      if (o.output === 'json') printRows([run as unknown as Record<string, unknown>], RUN_COLUMNS, 'json');
      else process.stdout.write(`Created run ${run.run_id} of DAG ${dagId} (state ${run.state})\n`);
    }));

  for (const [name, paused] of [['pause', true], ['unpause', false]] as const) {
    dags.command(`${name} <dag_id>`).description(paused ? 'stop creating scheduled runs' : 'resume scheduling')
      .action(async (dagId: string) => withRuntime(async (rt) => {
        await requireDag(rt, dagId);
        await rt.db.raw('update dag set is_paused = ? where dag_id = ?', [paused, dagId]);
        await recordEvent(rt.db, { event: `cli_dag_${name}`, owner: cliOwner(), dag_id: dagId });
        await notifyScheduler(rt.db);
        process.stdout.write(`Dag: ${dagId}, paused: ${paused}\n`);
      }));
  }

  dags.command('list-runs <dag_id>').description('runs of a DAG, newest first').option(...OUTPUT)
    .action(async (dagId: string, o: { output: OutputFormat }) => withRuntime(async (rt) => {
      await requireDag(rt, dagId);
      const list = await rows<Record<string, unknown>>(rt.db,
        `select * from dag_run where dag_id = ? order by coalesce(logical_date, run_after) desc, id desc`, [dagId]);
      printRows(list, RUN_COLUMNS, o.output);
    }));

  dags.command('test <dag_id> [logical_date]').description('run one DAG run in the foreground and print each task\'s outcome')
    .action(async (dagId: string, logical?: string) => {
      const rt = await openQueueRuntime();
      try {
        const state = await testDagRun(rt, dagId, logical ? parseDateArg(logical, 'logical_date') : new Date());
        process.stdout.write(`DAG run finished: ${state}\n`);
        if (state !== 'success') process.exitCode = 1;
      } finally {
        await rt.close();
      }
    });
}

const RUN_COLUMNS = ['dag_id', 'run_id', 'state', 'run_type', 'logical_date', 'data_interval_start', 'data_interval_end', 'start_date', 'end_date'];
