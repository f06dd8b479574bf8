/**
 * Graph checks for a DAG's tasks with graphology: unknown upstream ids, cycles (named,
 * so the import error says which tasks loop), topological order, and the effective
 * priority weights of Airflow's weight rules.
 */
import { DirectedGraph } from 'graphology';
import { hasCycle, topologicalSort } from 'graphology-dag';
import type { WeightRule } from '../model/states.ts';

export interface GraphTask { task_id: string; upstream: readonly string[]; priority_weight: number; weight_rule: WeightRule }

export function buildTaskGraph(dagId: string, tasks: readonly GraphTask[]): DirectedGraph {
  const graph = new DirectedGraph({ allowSelfLoops: true });
  for (const t of tasks) graph.addNode(t.task_id);
  for (const t of tasks) {
    for (const up of t.upstream) {
      if (!graph.hasNode(up)) {
        throw new Error(`DAG "${dagId}": task "${t.task_id}" depends on unknown task "${up}"`);
      }
      graph.mergeEdge(up, t.task_id);
    }
  }
  if (hasCycle(graph)) {
    throw new Error(`DAG "${dagId}" has a cycle: ${findCycle(graph).join(' -> ')}`);
  }
  return graph;
}

/** Task ids in an order where every task comes after its upstream tasks. */
export function topologicalOrder(graph: DirectedGraph): string[] {
  return topologicalSort(graph);
}

/** One cycle, as a path that returns to its first task (depth-first search). */
function findCycle(graph: DirectedGraph): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.outNeighbors(node)) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.nodes()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return [];
}

/**
 * Airflow's weight rules: downstream (default) = own weight + all tasks downstream;
 * upstream = own + all upstream; absolute = own.
 */
export function effectiveWeights(graph: DirectedGraph, tasks: readonly GraphTask[]): Map<string, number> {
  const own = new Map(tasks.map((t) => [t.task_id, t.priority_weight]));
  const reach = (start: string, dir: 'out' | 'in'): Set<string> => {
    const seen = new Set<string>();
    const frontier = [start];
    while (frontier.length) {
      const n = frontier.pop()!;
      const next = dir === 'out' ? graph.outNeighbors(n) : graph.inNeighbors(n);
      for (const m of next) if (!seen.has(m)) { seen.add(m); frontier.push(m); }
    }
    return seen;
  };
  const result = new Map<string, number>();
  for (const t of tasks) {
    let w = t.priority_weight;
    if (t.weight_rule !== 'absolute') {
      for (const other of reach(t.task_id, t.weight_rule === 'downstream' ? 'out' : 'in')) w += own.get(other) ?? 0;
    }
    result.set(t.task_id, w);
  }
  return result;
}
