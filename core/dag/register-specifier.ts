/**
 * Make `import ... from 'updraft'` in DAG files resolve to this installation's
 * authoring API wherever the DAGs folder is. Two paths need it: ESM imports (a module
 * resolution hook) and CommonJS requires, which is what tsx compiles a .ts file to when
 * its folder is not an ESM package (e.g. a DAGs folder outside this project).
 */
import Module, { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let registered = false;

type ResolveFilename = (request: string, ...rest: unknown[]) => string;

export function registerUpdraftSpecifier(): void {
  if (registered) return;
  registered = true;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const entry = path.resolve(here, '../../index.ts');
  register('./specifier-hook.mjs', import.meta.url, { data: { entryUrl: pathToFileURL(entry).href } });
  // Node has no public hook for require() resolution on Node 20; this internal is the
  // one module-alias and similar tools use, stable across Node versions.
  const cjs = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = cjs._resolveFilename;
  cjs._resolveFilename = function (request: string, ...rest: unknown[]) {
    return original.call(this, request === 'updraft' ? entry : request, ...rest);
  };
}
