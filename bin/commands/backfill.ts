/** `updraft backfill create`. */
import type { Command } from 'commander';
import { UserInputError } from '../../core/errors.ts';
import { recordEvent } from '../../core/transitions/event-log.ts';
import { createBackfill, REPROCESS_BEHAVIORS, type ReprocessBehavior } from '../../core/transitions/backfill.ts';
import { cliOwner, parseDateArg } from '../output.ts';
import { withRuntime } from '../runtime.ts';

export function registerBackfillCommands(program: Command): void {
  const backfill = program.command('backfill').description('runs for past intervals');
  backfill.command('create').description('create a run for every scheduled interval in a date range')
    .requiredOption('--dag-id <dag_id>', 'the DAG')
    .requiredOption('--from-date <date>', 'first logical date (inclusive)')
    .requiredOption('--to-date <date>', 'last logical date (inclusive)')
    .option('--reprocess-behavior <behavior>', 'none | completed | failed: which existing runs to run again', 'none')
    .option('--max-active-runs <n>', 'runs of this backfill at once', '10')
    .action(async (o: { dagId: string; fromDate: string; toDate: string; reprocessBehavior: string; maxActiveRuns: string }) => withRuntime(async (rt) => {
      if (!REPROCESS_BEHAVIORS.includes(o.reprocessBehavior as ReprocessBehavior)) {
        throw new UserInputError(`--reprocess-behavior must be one of ${REPROCESS_BEHAVIORS.join(', ')}, got "${o.reprocessBehavior}"`);
      }
      const r = await createBackfill(rt.db, {
        dag_id: o.dagId, from_date: parseDateArg(o.fromDate, '--from-date'), to_date: parseDateArg(o.toDate, '--to-date'),
        reprocess_behavior: o.reprocessBehavior as ReprocessBehavior, max_active_runs: Number(o.maxActiveRuns),
      });
      await recordEvent(rt.db, {
        event: 'cli_create_backfill', owner: cliOwner(), dag_id: o.dagId,
        extra: { backfill_id: r.backfill_id, from_date: o.fromDate, to_date: o.toDate, reprocess_behavior: o.reprocessBehavior },
      });
      process.stdout.write(`Backfill ${r.backfill_id} for ${o.dagId}: ${r.created} run(s) created, ${r.reprocessed} to run again, ${r.skipped} left as they are\n`);
    }));
}
