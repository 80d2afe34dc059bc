import { HeapGraph } from './heap-graph.js';

/** One constructor's row of a heap summary. */
export interface ConstructorSummary {
  readonly name: string;
  readonly count: number;
  /** Bytes of the objects themselves. */
  readonly shallowSize: number;
  /**
   * Bytes freed if every object of this constructor went: the retained sizes of its objects, each
   * counted once (an object dominated by another of the same constructor is inside that one's).
   */
  readonly retainedSize: number;
}

/** A heap snapshot summed by constructor, largest retained size first. */
export interface HeapSummary {
  readonly totalSize: number;
  readonly nodeCount: number;
  readonly constructors: readonly ConstructorSummary[];
}

/** Summarises a heap snapshot (its text or a parsed {@link HeapGraph}) by constructor. */
export function summarizeHeap(snapshot: string | HeapGraph): HeapSummary {
  const graph = typeof snapshot === 'string' ? HeapGraph.parse(snapshot) : snapshot;
  const n = graph.nodeCount;
  const rows = new Map<string, { count: number; shallowSize: number; retainedSize: number }>();
  let total = 0;

  // Children lists of the dominator tree, then a walk from the root that adds an object's
  // retained size only when no dominator above it has the same constructor.
  const childCount = new Uint32Array(n + 1);
  for (let v = 1; v < n; v++) if (graph.reachable[v]) childCount[graph.idom[v]! + 1]!++;
  for (let i = 0; i < n; i++) childCount[i + 1]! += childCount[i]!;
  const children = new Int32Array(childCount[n]!);
  const fill = childCount.slice(0, n);
  for (let v = 1; v < n; v++) if (graph.reachable[v]) children[fill[graph.idom[v]!]!++] = v;

  const open = new Map<string, number>();
  const stack: number[] = [0];
  const exiting: boolean[] = [false];
  while (stack.length > 0) {
    const v = stack.pop()!;
    const leaving = exiting.pop()!;
    const name = graph.className[v]!;
    if (leaving) {
      open.set(name, open.get(name)! - 1);
      continue;
    }
    if (v !== 0) {
      let row = rows.get(name);
      if (row === undefined) {
        row = { count: 0, shallowSize: 0, retainedSize: 0 };
        rows.set(name, row);
      }
      row.count++;
      row.shallowSize += graph.selfSize[v]!;
      total += graph.selfSize[v]!;
      if ((open.get(name) ?? 0) === 0) row.retainedSize += graph.retainedSize[v]!;
    }
    open.set(name, (open.get(name) ?? 0) + 1);
    stack.push(v);
    exiting.push(true);
    for (let c = childCount[v]!; c < childCount[v + 1]!; c++) {
      stack.push(children[c]!);
      exiting.push(false);
    }
  }
  const constructors = [...rows].map(([name, r]) => ({ name, ...r }));
  constructors.sort((a, b) => b.retainedSize - a.retainedSize || b.shallowSize - a.shallowSize);
  return { totalSize: total, nodeCount: n, constructors };
}

/** How one constructor changed between two snapshots. */
export interface ConstructorDelta {
  readonly name: string;
  readonly countDelta: number;
  readonly shallowDelta: number;
  readonly retainedDelta: number;
  readonly countAfter: number;
}

/** What grew between two snapshots, most first. */
export interface HeapDiff {
  readonly totalDelta: number;
  /** Constructors with more objects or more bytes after than before, by shallow bytes added. */
  readonly grew: readonly ConstructorDelta[];
  /** Constructors that shrank, by shallow bytes freed. */
  readonly shrank: readonly ConstructorDelta[];
}

/** Compares two heap summaries by constructor, as DevTools' Comparison view does by size delta. */
export function diffHeapSummaries(before: HeapSummary, after: HeapSummary): HeapDiff {
  const old = new Map(before.constructors.map((c) => [c.name, c]));
  const deltas: ConstructorDelta[] = [];
  const names = new Set([...old.keys(), ...after.constructors.map((c) => c.name)]);
  const now = new Map(after.constructors.map((c) => [c.name, c]));
  for (const name of names) {
    const a = old.get(name);
    const b = now.get(name);
    deltas.push({
      name,
      countDelta: (b?.count ?? 0) - (a?.count ?? 0),
      shallowDelta: (b?.shallowSize ?? 0) - (a?.shallowSize ?? 0),
      retainedDelta: (b?.retainedSize ?? 0) - (a?.retainedSize ?? 0),
      countAfter: b?.count ?? 0,
    });
  }
  const grew = deltas
    .filter((d) => d.shallowDelta > 0 || d.countDelta > 0)
    .sort((x, y) => y.shallowDelta - x.shallowDelta || y.countDelta - x.countDelta);
  const shrank = deltas
    .filter((d) => d.shallowDelta < 0 && d.countDelta <= 0)
    .sort((x, y) => x.shallowDelta - y.shallowDelta);
  return { totalDelta: after.totalSize - before.totalSize, grew, shrank };
}
