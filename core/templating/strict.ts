/**
 * AST rewrite applied to every template before nunjucks generates code. nunjucks treats
 * a missing name or attribute as an empty string and prints JavaScript values
 * (`null` -> "", `true` -> "true", lists as "a,b"); Airflow's Jinja uses StrictUndefined
 * and Python printing. Rather than patch nunjucks globally, we wrap the relevant nodes
 * in calls to internal filters (runtime.ts) that carry the source expression's text and
 * position, so errors can say "'params.missing' is undefined (line 1, column 4)".
 *
 * Rewrites:
 * - names (`foo`) and attribute lookups (`a.b`, `a['b']`) are checked, except directly
 *   under `is defined` / `is undefined` / `is none` and as the value of `| default`,
 *   which (as in Jinja) may look at something undefined;
 * - called expressions must be callable;
 * - `{{ expr }}` prints Python's str() of the value;
 * - `~`, `+`, `-` follow Python (dates and timedeltas, list concatenation);
 * - tuples `(a, b)` become lists (nunjucks would evaluate a JS comma expression).
 */
import { isNode, njNodes, type NjNode } from './nunjucks-internals.ts';
import { reprString } from './pyvalue.ts';

/** Internal filter names; unlikely to collide with anything a DAG author registers. */
export const INTERNAL = {
  name: '__updraft_name',
  attr: '__updraft_attr',
  callable: '__updraft_callable',
  filter: '__updraft_filter',
  out: '__updraft_out',
  concat: '__updraft_concat',
  add: '__updraft_add',
  sub: '__updraft_sub',
  iter: '__updraft_iter',
} as const;

const LENIENT_TESTS = new Set(['defined', 'undefined', 'none']);
const LENIENT_FILTERS = new Set(['default', 'd']);

const { Symbol: SymbolNode, Literal, NodeList, Array: ArrayNode, Filter } = njNodes;

function child(node: NjNode, field: string): NjNode {
  return node[field] as NjNode;
}
function children(node: NjNode): NjNode[] {
  return node.children as NjNode[];
}

function lit(at: NjNode, value: string | number | boolean): NjNode {
  return new Literal(at.lineno, at.colno, value);
}

/** Where an expression starts: nunjucks places `a.b` at the dot and `f(x)` at the parenthesis. */
function start(node: NjNode): NjNode {
  switch (node.typename) {
    case 'LookupVal':
      return start(child(node, 'target'));
    case 'FunCall':
      return start(child(node, 'name'));
    case 'Filter':
      return children(child(node, 'args'))[0] ? start(children(child(node, 'args'))[0] as NjNode) : node;
    default:
      return node;
  }
}

/** 1-based line and column where an expression starts, as Literal arguments. */
function position(node: NjNode): NjNode[] {
  const at = start(node);
  return [lit(at, at.lineno + 1), lit(at, at.colno + 1)];
}

function callFilter(name: string, at: NjNode, args: NjNode[]): NjNode {
  return new Filter(at.lineno, at.colno, new SymbolNode(at.lineno, at.colno, name), new NodeList(at.lineno, at.colno, args));
}

/** Source-like text of an expression, for error messages. Computed before rewriting. */
export function describe(node: NjNode): string {
  switch (node.typename) {
    case 'Symbol':
      return String(node.value);
    case 'Literal':
      return typeof node.value === 'string' ? reprString(node.value) : node.value === null ? 'none' : String(node.value);
    case 'LookupVal': {
      const target = describe(child(node, 'target'));
      const key = child(node, 'val');
      if (key.typename === 'Literal' && typeof key.value === 'string' && /^[A-Za-z_]\w*$/.test(key.value)) return `${target}.${key.value}`;
      return `${target}[${describe(key)}]`;
    }
    case 'FunCall':
      return `${describe(child(node, 'name'))}(...)`;
    case 'Filter':
      return `${children(child(node, 'args'))[0] ? describe(children(child(node, 'args'))[0] as NjNode) : ''} | ${String(child(node, 'name').value)}`;
    case 'Group':
      return children(node).length === 1 ? `(${describe(children(node)[0] as NjNode)})` : 'tuple';
    default:
      return 'expression';
  }
}

function testName(right: NjNode): string {
  return String(right.typename === 'FunCall' ? child(right, 'name').value : right.value);
}

function exprList(list: NjNode): NjNode {
  list.children = children(list).map((c) => expr(c));
  return list;
}

/** Rewrite an expression; `lenient` is true only for the direct operand of `is defined` / `| default`. */
function expr(node: NjNode, lenient = false): NjNode {
  switch (node.typename) {
    case 'Symbol':
      return lenient ? node : callFilter(INTERNAL.name, node, [node, lit(node, String(node.value)), ...position(node)]);
    case 'Literal':
      return node;
    case 'LookupVal': {
      const path = describe(node);
      const targetPath = describe(child(node, 'target'));
      return callFilter(INTERNAL.attr, node, [
        expr(child(node, 'target')), expr(child(node, 'val')), lit(node, path), lit(node, targetPath), lit(node, lenient), ...position(node),
      ]);
    }
    case 'FunCall': {
      const callee = child(node, 'name');
      const path = describe(callee);
      node.name = callFilter(INTERNAL.callable, callee, [expr(callee), lit(callee, path), ...position(callee)]);
      exprList(child(node, 'args'));
      return node;
    }
    case 'Filter': {
      // `value | name(args)` becomes `applyFilter(value, 'name', line, column, args...)`.
      const filterName = String(child(node, 'name').value);
      const [value, ...rest] = children(child(node, 'args')).map((a, i) => expr(a, i === 0 && LENIENT_FILTERS.has(filterName)));
      if (value === undefined) return node;
      return callFilter(INTERNAL.filter, node, [value, lit(node, filterName), lit(node, node.lineno + 1), lit(node, node.colno + 1), ...rest]);
    }
    case 'Is': {
      const right = child(node, 'right');
      node.left = expr(child(node, 'left'), LENIENT_TESTS.has(testName(right)));
      if (right.typename === 'FunCall') exprList(child(right, 'args'));
      return node;
    }
    case 'Concat':
      return callFilter(INTERNAL.concat, node, [expr(child(node, 'left')), expr(child(node, 'right'))]);
    case 'Add':
    case 'Sub': {
      const op = node.typename === 'Add' ? INTERNAL.add : INTERNAL.sub;
      return callFilter(op, node, [expr(child(node, 'left')), expr(child(node, 'right')), ...position(child(node, 'left'))]);
    }
    case 'Group': {
      const items = children(node);
      if (items.length > 1) return new ArrayNode(node.lineno, node.colno, items.map((c) => expr(c)));
      node.children = items.map((c) => expr(c, lenient));
      return node;
    }
    case 'Pair': {
      // `{name: 1}` and keyword arguments `f(name=1)` use bare names as keys: not lookups.
      const key = child(node, 'key');
      if (key.typename !== 'Symbol') node.key = expr(key);
      node.value = expr(child(node, 'value'));
      return node;
    }
    case 'Caller':
      return stmt(node);
    default:
      return generic(node, expr);
  }
}

/** Recurse into every node-valued field (used for operators, comparisons, lists, dicts). */
function generic(node: NjNode, visit: (n: NjNode) => NjNode): NjNode {
  for (const field of node.fields) {
    const value = node[field];
    if (isNode(value)) node[field] = visit(value);
    else if (Array.isArray(value)) node[field] = value.map((v: unknown) => (isNode(v) ? visit(v) : v));
  }
  return node;
}

function maybeStmt(node: unknown): unknown {
  return isNode(node) ? stmt(node) : node;
}

/** Rewrite a statement; expressions inside it go through expr(). */
function stmt(node: NjNode): NjNode {
  switch (node.typename) {
    case 'Root':
    case 'NodeList':
      node.children = children(node).map(stmt);
      return node;
    case 'Output':
      node.children = children(node).map((c) => {
        if (c.typename === 'TemplateData') return c;
        const label = describe(c);
        return callFilter(INTERNAL.out, c, [expr(c), lit(c, label), ...position(c)]);
      });
      return node;
    case 'If':
    case 'IfAsync':
      node.cond = expr(child(node, 'cond'));
      node.body = maybeStmt(node.body);
      node.else_ = maybeStmt(node.else_);
      return node;
    case 'For':
    case 'AsyncEach':
    case 'AsyncAll':
      // `for k in dict` iterates keys in Jinja; nunjucks only handles dicts as `for k, v in`.
      node.arr = child(node, 'name').typename === 'Symbol'
        ? callFilter(INTERNAL.iter, child(node, 'arr'), [expr(child(node, 'arr'))])
        : expr(child(node, 'arr'));
      node.body = maybeStmt(node.body);
      node.else_ = maybeStmt(node.else_);
      return node;
    case 'Macro':
    case 'Caller': {
      // Arguments are names being bound; only keyword defaults are expressions.
      const args = child(node, 'args');
      args.children = children(args).map((a) => (a.typename === 'KeywordArgs' ? expr(a) : a));
      node.body = maybeStmt(node.body);
      return node;
    }
    case 'Set':
      // `{% set x = expr %}` has a value; `{% set x %}...{% endset %}` has a body instead.
      if (isNode(node.value)) node.value = expr(node.value);
      if (isNode(node.body)) node.body = stmt(node.body);
      return node;
    case 'Capture':
    case 'Block':
      node.body = maybeStmt(node.body);
      return node;
    case 'Switch':
      node.expr = expr(child(node, 'expr'));
      for (const c of node.cases as NjNode[]) {
        c.cond = expr(child(c, 'cond'));
        c.body = maybeStmt(c.body);
      }
      node.default = maybeStmt(node.default);
      return node;
    default:
      // Template data, include/import/extends (no loader is configured), extensions.
      return node;
  }
}

/** Entry point for compileToCode(). */
export function rewriteTemplate(root: NjNode): void {
  stmt(root);
}
