#!/usr/bin/env node
// The `updraft` command. Registers TypeScript support (tsx) and the `updraft` module
// specifier for DAG files, then hands over to the TypeScript CLI.
import { register as registerCjs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

// Both module systems: a .ts DAG file outside an ESM package is loaded as CommonJS.
registerEsm();
registerCjs();
const { registerUpdraftSpecifier } = await import('../core/dag/register-specifier.ts');
registerUpdraftSpecifier();
const { main } = await import('./cli.ts');
await main(process.argv);
