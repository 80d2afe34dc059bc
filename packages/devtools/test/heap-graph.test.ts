// Retained sizes and the by-constructor summary on a graph small enough to work out by hand.
import { describe, expect, it } from 'vitest';
import { diffHeapSummaries, HeapGraph, summarizeHeap } from '../src/index.js';

/**
 * root → A, root → B, A → C, B → C, C → D, A ⇢ W (weak). C has two paths from the root, so only
 * the root dominates it; D is C's alone; W is reachable through a weak edge only. D is a second
 * `C` object, inside the first.
 */
function snapshot(extraA = 0): string {
  const strings = ['(root)', 'A', 'B', 'C', 'W'];
  const nodes = [
    [0, 0, 1, 0, 2],
    [1, 1, 3, 10 + extraA, 2],
    [1, 2, 5, 20, 1],
    [1, 3, 7, 30, 1],
    [1, 3, 9, 40, 0],
    [1, 4, 11, 5, 0],
  ];
  const at = (ordinal: number) => ordinal * 5;
  const edges = [
    [0, 0, at(1)],
    [0, 0, at(2)],
    [0, 0, at(3)],
    [1, 0, at(5)],
    [0, 0, at(3)],
    [0, 0, at(4)],
  ];
  return JSON.stringify({
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
        node_types: [['synthetic', 'object'], 'string', 'number', 'number', 'number'],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [['property', 'weak'], 'string_or_number', 'node'],
      },
      node_count: nodes.length,
      edge_count: edges.length,
    },
    nodes: nodes.flat(),
    edges: edges.flat(),
    strings,
  });
}

describe('HeapGraph', () => {
  it('computes immediate dominators and retained sizes, ignoring weak edges', () => {
    const g = HeapGraph.parse(snapshot());
    expect([...g.idom]).toEqual([0, 0, 0, 0, 3, -1]);
    expect([...g.retainedSize]).toEqual([100, 10, 20, 70, 40, 5]);
    expect([...g.reachable]).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it('sums by constructor, counting an object inside another of its constructor once', () => {
    const summary = summarizeHeap(snapshot());
    expect(summary.constructors).toEqual([
      { name: 'C', count: 2, shallowSize: 70, retainedSize: 70 },
      { name: 'B', count: 1, shallowSize: 20, retainedSize: 20 },
      { name: 'A', count: 1, shallowSize: 10, retainedSize: 10 },
    ]);
    expect(summary.totalSize).toBe(100);
  });

  it('diffs two summaries by what grew', () => {
    const diff = diffHeapSummaries(summarizeHeap(snapshot()), summarizeHeap(snapshot(64)));
    expect(diff.totalDelta).toBe(64);
    expect(diff.grew).toEqual([
      { name: 'A', countDelta: 0, shallowDelta: 64, retainedDelta: 64, countAfter: 1 },
    ]);
    expect(diff.shrank).toEqual([]);
  });

  it('refuses a snapshot whose edge counts do not add up', () => {
    const broken = JSON.parse(snapshot()) as { nodes: number[] };
    broken.nodes[4] = 3;
    expect(() => new HeapGraph(broken as never)).toThrow(/edge counts do not match/);
  });
});
