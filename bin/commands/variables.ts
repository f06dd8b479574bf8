/** `updraft variables ...`: get, set, delete, list, import, export (Airflow's names). */
import fs from 'node:fs';
import type { Command } from 'commander';
import { UserInputError } from '../../core/errors.ts';
import { recordEvent } from '../../core/transitions/event-log.ts';
import { exportVariables, importVariables, parseVariablesFile } from '../../core/variables/import-export.ts';
import {
  deleteVariable, getVariable, listVariables, parseVariableJson, setVariable,
} from '../../core/variables/variables.ts';
import { cliOwner, parseFormat, printRows, type OutputFormat } from '../output.ts';
import { withRuntime } from '../runtime.ts';

const OUTPUT = ['-o, --output <format>', 'table or json', parseFormat, 'table'] as const;

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function registerVariableCommands(program: Command): void {
  const variables = program.command('variables').description('variables read by templates (var.value / var.json) and tasks');

  variables.command('get <key>').description('print a variable\'s value')
    .option('-d, --default <value>', 'printed when the variable does not exist (instead of an error)')
    .option('-j, --json', 'parse the value as JSON and print it as JSON')
    .action(async (key: string, o: { default?: string; json?: boolean }) => withRuntime(async (rt) => {
      const raw = await getVariable(rt.db, key, rt.config.fernetKey);
      if (raw === undefined) {
        if (o.default === undefined) throw new UserInputError(`variable "${key}" does not exist (see \`updraft variables list\`)`);
        process.stdout.write(`${o.default}\n`);
        return;
      }
      process.stdout.write(`${o.json ? JSON.stringify(parseVariableJson(key, raw), null, 2) : raw}\n`);
    }));

  variables.command('set <key> <value>').description('create or replace a variable')
    .option('-j, --json', 'the value is JSON: check it and store it normalized')
    .option('--description <text>', 'a description of the variable')
    .action(async (key: string, value: string, o: { json?: boolean; description?: string }) => withRuntime(async (rt) => {
      let stored: unknown = value;
      if (o.json) {
        try { stored = JSON.parse(value); } catch { throw new UserInputError(`the value of "${key}" is not valid JSON (given -j)`); }
      }
      await setVariable(rt.db, { key, value: stored, description: o.description }, rt.config.fernetKey);
      // The key only: values may be secrets.
      await recordEvent(rt.db, { event: 'cli_variables_set', owner: cliOwner(), extra: { key } });
      process.stdout.write(`Variable ${key} created\n`);
    }));

  variables.command('delete <key>').description('delete a variable')
    .action(async (key: string) => withRuntime(async (rt) => {
      if (!(await deleteVariable(rt.db, key))) throw new UserInputError(`variable "${key}" does not exist`);
      await recordEvent(rt.db, { event: 'cli_variables_delete', owner: cliOwner(), extra: { key } });
      process.stdout.write(`Variable ${key} deleted\n`);
    }));

  variables.command('list').description('variable keys (values are not shown)').option(...OUTPUT)
    .action(async (o: { output: OutputFormat }) => withRuntime(async (rt) => {
      const list = await listVariables(rt.db);
      printRows(list as unknown as Array<Record<string, unknown>>, ['key', 'description', 'is_encrypted'], o.output);
    }));

  variables.command('import <file>').description('set the variables of a JSON file ({"key": value, ...}), all or none')
    .action(async (file: string) => withRuntime(async (rt) => {
      const vars = parseVariablesFile(readFile(file), file);
      const n = await importVariables(rt.db, vars, rt.config.fernetKey);
      await recordEvent(rt.db, { event: 'cli_variables_import', owner: cliOwner(), extra: { file, keys: Object.keys(vars) } });
      process.stdout.write(`${n} of ${n} variables successfully updated.\n`);
    }));

  variables.command('export <file>').description('write every variable, decrypted, to a JSON file')
    .action(async (file: string) => withRuntime(async (rt) => {
      const vars = await exportVariables(rt.db, rt.config.fernetKey);
      try {
        fs.writeFileSync(file, `${JSON.stringify(vars, null, 4)}\n`, { mode: 0o600 });
      } catch (err) {
        throw new UserInputError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      process.stdout.write(`${Object.keys(vars).length} variables successfully exported to ${file}\n`);
    }));
}
