/**
 * Typed access to the parts of nunjucks that @types/nunjucks leaves out: the parser, the
 * AST node classes, the compiler and the transformer. We compile templates ourselves so
 * strict.ts can rewrite the AST (StrictUndefined, Python printing) before code
 * generation; nunjucks' own Environment.renderString offers no hook for that.
 * These are the same modules nunjucks' compiler.compile() chains together.
 */
import { createRequire } from 'node:module';
import nunjucks from 'nunjucks';

/** An AST node: typename plus the fields listed in `fields`. */
export interface NjNode {
  readonly typename: string;
  readonly fields: readonly string[];
  lineno: number;
  colno: number;
  [field: string]: unknown;
}

export type NodeCtor = new (lineno: number, colno: number, ...fields: unknown[]) => NjNode;

export interface NjNodes {
  Symbol: NodeCtor;
  Literal: NodeCtor;
  NodeList: NodeCtor;
  Array: NodeCtor;
  Filter: NodeCtor;
}

interface NjParser {
  parse(src: string, extensions: unknown, opts: unknown): NjNode;
}

interface NjCompiler {
  compile(node: NjNode): void;
  getCode(): string;
}

interface NjCompilerModule {
  Compiler: new (templateName: string, throwOnUndefined: boolean) => NjCompiler;
}

interface NjTransformer {
  transform(ast: NjNode, asyncFilters: readonly string[], name?: string): NjNode;
}

interface NunjucksInternals {
  parser: NjParser;
  nodes: NjNodes;
  compiler: NjCompilerModule;
}

const internals = nunjucks as unknown as NunjucksInternals;
// The transformer is not re-exported by nunjucks' index; load it from the same package.
const require = createRequire(import.meta.url);
const transformer = require('nunjucks/src/transformer') as NjTransformer;

export const njNodes: NjNodes = internals.nodes;

export function isNode(value: unknown): value is NjNode {
  return typeof value === 'object' && value !== null && typeof (value as { typename?: unknown }).typename === 'string' &&
    Array.isArray((value as { fields?: unknown }).fields);
}

/** Parse, let `rewrite` change the AST, then generate the template's JavaScript source. */
export function compileToCode(
  src: string,
  env: nunjucks.Environment,
  rewrite: (root: NjNode) => void,
): string {
  const envInternals = env as unknown as { extensionsList: unknown; opts: unknown; asyncFilters: readonly string[] };
  const ast = internals.parser.parse(src, envInternals.extensionsList, envInternals.opts);
  rewrite(ast);
  const compiler = new internals.compiler.Compiler('template', false);
  compiler.compile(transformer.transform(ast, envInternals.asyncFilters, 'template'));
  return compiler.getCode();
}
