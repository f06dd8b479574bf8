import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let registered = false;

/** Make `import 'updraft'` in DAG files resolve to this installation's index.ts. */
export function registerUpdraftSpecifier(): void {
  if (registered) return;
  registered = true;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const entryUrl = pathToFileURL(path.resolve(here, '../../index.ts')).href;
  register('./specifier-hook.mjs', import.meta.url, { data: { entryUrl } });
}
