/** `updraft tasks ...`: states-for-dag-run, test, clear. */
import readline from 'node:readline/promises';
import type { Command } from 'commander';
import { UserInputError } from '../../core/errors.ts';
import { clearTaskInstances, findClearTargets } from '../../core/transitions/clear.ts';
import { recordEvent } from '../../core/transitions/event-log.ts';
import { explainTaskInstance } from '../../core/transitions/explain.ts';
import { rows } from '../../core/transitions/sql.ts';
import { NotFoundError } from '../../core/transitions/trigger-run.ts';
import { testTask } from '../task-test.ts';
import { cliOwner, parseDateArg, parseFormat, printRows, type OutputFormat } from '../output.ts';
import { withRuntime } from '../runtime.ts';

interface ClearOptions {
  taskRegex?: string; upstream?: boolean; downstream?: boolean; startDate?: string; endDate?: string;
  onlyFailed?: boolean; onlyRunning?: boolean; yes?: boolean;
}

export function registerTaskCommands(program: Command): void {
  const tasks = program.command('tasks').description('task instances');

  tasks.command('states-for-dag-run <dag_id> <run_id>').description('the state of every task in a run')
    .option('-o, --output <format>', 'table or json', parseFormat, 'table')
    .action(async (dagId: string, runId: string, o: { output: OutputFormat }) => withRuntime(async (rt) => {
      const [run] = await rows(rt.db, 'select 1 from dag_run where dag_id = ? and run_id = ?', [dagId, runId]);
      if (!run) throw new NotFoundError(`DAG "${dagId}" has no run "${runId}"`);
      const list = await rows<Record<string, unknown>>(rt.db, `
        select dag_id, run_id, task_id, map_index, coalesce(state, 'none') as state, try_number, start_date, end_date
        from task_instance where dag_id = ? and run_id = ? order by id, map_index`, [dagId, runId]);
      printRows(list, ['dag_id', 'run_id', 'task_id', 'map_index', 'state', 'try_number', 'start_date', 'end_date'], o.output);
    }));

  tasks.command('test <dag_id> <task_id> [logical_date]').description('run one task in the foreground; no state is recorded')
    .option('-m, --map-index <n>', 'for a task mapped over literal lists: the instance to run', parseMapIndex)
    .action(async (dagId: string, taskId: string, logical: string | undefined, o: { mapIndex?: number }) => withRuntime(async (rt) => {
      const ok = await testTask(rt, dagId, taskId, logical ? parseDateArg(logical, 'logical_date') : new Date(), o.mapIndex);
      if (!ok) process.exitCode = 1;
    }));

  tasks.command('failed-deps <dag_id> <task_id> <run_id>').description('why a task instance is not running: the dependency rules it fails')
    .option('-m, --map-index <n>', 'the instance of a mapped task (default -1: an unmapped task, or one not expanded yet)', parseMapIndex)
    .action(async (dagId: string, taskId: string, runId: string, o: { mapIndex?: number }) => withRuntime(async (rt) => {
      const { state, deps } = await explainTaskInstance(rt.db, dagId, runId, taskId, o.mapIndex ?? -1);
      const failing = deps.filter((d) => !d.passed);
      const which = o.mapIndex !== undefined && o.mapIndex >= 0 ? `[${o.mapIndex}]` : '';
      process.stdout.write(`Task instance ${dagId}/${runId}/${taskId}${which} is ${state ?? 'none'}\n`);
      if (failing.length === 0) process.stdout.write('Task instance dependencies are all met.\n');
      for (const d of failing) process.stdout.write(`Dependency '${d.name}' FAILED: ${d.reason}\n`);
    }));

  tasks.command('clear <dag_id>').description('clear task instances so they run again (retries given anew)')
    .option('-t, --task-regex <regex>', 'only tasks whose id matches')
    .option('-u, --upstream', 'also the upstream tasks of the matched tasks, transitively')
    .option('-d, --downstream', 'also the downstream tasks of the matched tasks, transitively')
    .option('-s, --start-date <date>', 'only runs with a logical date at or after this')
    .option('-e, --end-date <date>', 'only runs with a logical date at or before this')
    .option('-f, --only-failed', 'only failed and upstream_failed task instances')
    .option('-r, --only-running', 'only running task instances')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (dagId: string, o: ClearOptions) => withRuntime(async (rt) => {
      const [dag] = await rows(rt.db, 'select 1 from dag where dag_id = ?', [dagId]);
      if (!dag) throw new NotFoundError(`DAG "${dagId}" not found`);
      const targets = await findClearTargets(rt.db, {
        dag_id: dagId, task_regex: o.taskRegex, only_failed: o.onlyFailed, only_running: o.onlyRunning,
        include_upstream: o.upstream, include_downstream: o.downstream,
        start_date: o.startDate ? parseDateArg(o.startDate, '--start-date') : undefined,
        end_date: o.endDate ? parseDateArg(o.endDate, '--end-date') : undefined,
      });
      if (targets.length === 0) { process.stdout.write('No task instances to clear\n'); return; }
      for (const t of targets) {
        const mapped = t.map_index >= 0 ? `[${t.map_index}]` : '';
        process.stdout.write(`  ${t.run_id}  ${t.task_id}${mapped}  (${t.state ?? 'none'})\n`);
      }
      if (!o.yes) {
        if (!process.stdin.isTTY) throw new UserInputError('refusing to clear without confirmation: pass -y');
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(`Clear ${targets.length} task instance(s)? [y/N] `);
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) { process.stdout.write('Cancelled\n'); return; }
      }
      const n = await clearTaskInstances(rt.db, targets.map((t) => t.id));
      await recordEvent(rt.db, {
        event: 'cli_task_clear', owner: cliOwner(), dag_id: dagId,
        extra: { task_regex: o.taskRegex ?? null, upstream: !!o.upstream, downstream: !!o.downstream, only_failed: !!o.onlyFailed, only_running: !!o.onlyRunning, cleared: n },
      });
      process.stdout.write(`Cleared ${n} task instance(s)\n`);
    }));
}

function parseMapIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1) throw new UserInputError(`--map-index must be an integer >= -1, got "${value}"`);
  return n;
}
