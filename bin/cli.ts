/**
 * The `updraft` command line, named like Airflow's. Bad input and unreachable services
 * exit non-zero with one clear line (set UPDRAFT_DEBUG=1 for the stack).
 */
import { Command, CommanderError } from 'commander';
import { UserInputError } from '../core/errors.ts';
import { registerBackfillCommands } from './commands/backfill.ts';
import { registerComponentCommands } from './commands/components.ts';
import { registerConnectionCommands } from './commands/connections.ts';
import { registerDagCommands } from './commands/dags.ts';
import { registerTaskCommands } from './commands/tasks.ts';
import { registerVariableCommands } from './commands/variables.ts';
import { registerWebCommands } from './commands/web.ts';

export function buildProgram(): Command {
  const program = new Command('updraft')
    .description('Updraft: an Airflow-compatible scheduler and worker cluster')
    .showHelpAfterError()
    .exitOverride();
  registerComponentCommands(program);
  registerDagCommands(program);
  registerTaskCommands(program);
  registerBackfillCommands(program);
  registerVariableCommands(program);
  registerConnectionCommands(program);
  registerWebCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`updraft: ${message}\n`);
    if (process.env.UPDRAFT_DEBUG && err instanceof Error && !(err instanceof UserInputError)) process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  }
}
