/**
 * Import one DAG file and return the DAGs it defines. TypeScript/JavaScript files are
 * imported (DAG objects created at top level are collected); JSON/YAML files are read
 * as declarative DAGs. The operator registry is passed in because core does not
 * depend on the operators package.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { beginCollecting, endCollecting } from '../authoring/collector.ts';
import type { DAG } from '../authoring/dag.ts';
import { buildDeclarativeDag, parseDeclarativeText, type DeclarativeFactory } from './declarative.ts';

export const CODE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];
export const DECLARATIVE_EXTENSIONS = ['.json', '.yaml', '.yml'];

export function isDagFile(file: string): boolean {
  const base = file.split('/').pop() ?? '';
  if (base.startsWith('.') || base.startsWith('_') || base.endsWith('.d.ts')) return false;
  return [...CODE_EXTENSIONS, ...DECLARATIVE_EXTENSIONS].some((ext) => base.endsWith(ext));
}

let loading: Promise<unknown> = Promise.resolve();

/** Loads are serialized: the collector sees one file's DAGs at a time. */
export function loadDagFile(file: string, registry: ReadonlyMap<string, DeclarativeFactory>, version = ''): Promise<DAG[]> {
  const run = loading.then(() => loadNow(file, registry, version));
  loading = run.catch(() => undefined);
  return run;
}

async function loadNow(file: string, registry: ReadonlyMap<string, DeclarativeFactory>, version: string): Promise<DAG[]> {
  if (DECLARATIVE_EXTENSIONS.some((ext) => file.endsWith(ext))) {
    const doc = parseDeclarativeText(fs.readFileSync(file, 'utf8'), file);
    const docs = Array.isArray(doc) ? doc : [doc];
    beginCollecting();
    try {
      return docs.map((d) => buildDeclarativeDag(d, registry));
    } finally {
      endCollecting();
    }
  }
  beginCollecting();
  try {
    // The query string makes a changed file load anew instead of from the ESM module
    // cache; a file compiled as CommonJS (outside an ESM package) sits in require's cache,
    // keyed by path alone, so it is evicted too.
    delete requireCache()[file];
    const url = `${pathToFileURL(file).href}?v=${encodeURIComponent(version || String(fs.statSync(file).mtimeMs))}`;
    const mod = (await import(url)) as Record<string, unknown>;
    const dags = endCollecting();
    if (dags.length === 0 && mod.default) throw new Error('the default export is not a DAG created with new DAG(...)');
    return dags;
  } finally {
    endCollecting();
  }
}

let cjsCache: NodeJS.Dict<NodeJS.Module> | null = null;
function requireCache(): NodeJS.Dict<NodeJS.Module> {
  cjsCache ??= createRequire(import.meta.url).cache;
  return cjsCache;
}
