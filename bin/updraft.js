#!/usr/bin/env node
// The `updraft` command. Registers TypeScript support (tsx) and the `updraft` module
// specifier for DAG files, then hands over to the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
const { registerUpdraftSpecifier } = await import('../core/dag/register-specifier.ts');
registerUpdraftSpecifier();
const { main } = await import('./cli.ts');
await main(process.argv);
