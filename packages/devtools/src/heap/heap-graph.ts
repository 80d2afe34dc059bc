import { InvalidArgumentError } from '../devtools-errors.js';

/** The parts of a `.heapsnapshot` (V8's format, as Chrome DevTools reads it) the analysis uses. */
interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
    node_count: number;
    edge_count: number;
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * A heap snapshot as a graph: per node its class name (what DevTools' Summary groups by), shallow
 * and retained size. Retained sizes come from the dominator tree (Cooper, Harvey and Kennedy's
 * iterative algorithm) over every edge but weak ones, from the synthetic root.
 */
export class HeapGraph {
  readonly nodeCount: number;
  /** Class name per node (constructor name for objects, `(string)`, `(closure)`, … otherwise). */
  readonly className: string[];
  readonly selfSize: Float64Array;
  readonly retainedSize: Float64Array;
  /** Immediate dominator per node; -1 for nodes the root does not reach. */
  readonly idom: Int32Array;
  /** Whether the root reaches the node (DevTools leaves unreachable nodes out of its Summary). */
  readonly reachable: Uint8Array;

  constructor(raw: RawSnapshot) {
    const meta = raw.snapshot?.meta;
    if (!meta || !Array.isArray(raw.nodes) || !Array.isArray(raw.edges) || !Array.isArray(raw.strings))
      throw new InvalidArgumentError(
        'not a V8 heap snapshot: snapshot.meta, nodes, edges and strings are required',
      );
    const nf = meta.node_fields.length;
    const ef = meta.edge_fields.length;
    const nType = meta.node_fields.indexOf('type');
    const nName = meta.node_fields.indexOf('name');
    const nSize = meta.node_fields.indexOf('self_size');
    const nEdges = meta.node_fields.indexOf('edge_count');
    const eType = meta.edge_fields.indexOf('type');
    const eTo = meta.edge_fields.indexOf('to_node');
    if ([nType, nName, nSize, nEdges, eType, eTo].includes(-1))
      throw new InvalidArgumentError(
        'not a V8 heap snapshot: a node or edge field is missing from snapshot.meta',
      );
    const nodeTypes = meta.node_types[0];
    const weak = meta.edge_types[0].indexOf('weak');
    const n = raw.nodes.length / nf;
    if (!Number.isInteger(n))
      throw new InvalidArgumentError('heap snapshot: nodes is not a whole number of nodes');
    this.nodeCount = n;

    // Edges of node i are firstEdge[i] .. firstEdge[i+1] (in edge records).
    const firstEdge = new Uint32Array(n + 1);
    this.className = new Array<string>(n);
    this.selfSize = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const base = i * nf;
      firstEdge[i + 1] = firstEdge[i]! + raw.nodes[base + nEdges]!;
      this.selfSize[i] = raw.nodes[base + nSize]!;
      this.className[i] = classNameOf(
        nodeTypes[raw.nodes[base + nType]!] ?? '',
        raw.strings[raw.nodes[base + nName]!] ?? '',
      );
    }
    if (firstEdge[n]! * ef !== raw.edges.length)
      throw new InvalidArgumentError("heap snapshot: the nodes' edge counts do not match the edges array");
    const target = (e: number): number => raw.edges[e * ef + eTo]! / nf;
    const strong = (e: number): boolean => raw.edges[e * ef + eType] !== weak;

    // Depth-first from the root (node 0): postorder numbers, iteratively (heaps are deep).
    const post = new Int32Array(n).fill(-1);
    const order = new Int32Array(n); // nodes by postorder number
    const visited = new Uint8Array(n);
    const stack = new Int32Array(n);
    const cursor = new Uint32Array(n);
    let top = 0;
    let count = 0;
    stack[0] = 0;
    visited[0] = 1;
    cursor[0] = firstEdge[0]!;
    while (top >= 0) {
      const v = stack[top]!;
      let e = cursor[v]!;
      const end = firstEdge[v + 1]!;
      while (e < end && (!strong(e) || visited[target(e)])) e++;
      if (e < end) {
        cursor[v] = e + 1;
        const w = target(e);
        visited[w] = 1;
        cursor[w] = firstEdge[w]!;
        stack[++top] = w;
      } else {
        post[v] = count;
        order[count++] = v;
        top--;
      }
    }
    this.reachable = visited;

    // Predecessors over strong edges between reachable nodes.
    const predCount = new Uint32Array(n + 1);
    for (let v = 0; v < n; v++) {
      if (!visited[v]) continue;
      for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) if (strong(e)) predCount[target(e) + 1]!++;
    }
    for (let i = 0; i < n; i++) predCount[i + 1]! += predCount[i]!;
    const preds = new Int32Array(predCount[n]!);
    const fill = predCount.slice(0, n);
    for (let v = 0; v < n; v++) {
      if (!visited[v]) continue;
      for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) if (strong(e)) preds[fill[target(e)]!++] = v;
    }

    const idom = new Int32Array(n).fill(-1);
    idom[0] = 0;
    const intersect = (a: number, b: number): number => {
      while (a !== b) {
        while (post[a]! < post[b]!) a = idom[a]!;
        while (post[b]! < post[a]!) b = idom[b]!;
      }
      return a;
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (let k = count - 2; k >= 0; k--) {
        const v = order[k]!;
        let next = -1;
        for (let p = predCount[v]!; p < predCount[v + 1]!; p++) {
          const u = preds[p]!;
          if (idom[u] === -1) continue;
          next = next === -1 ? u : intersect(u, next);
        }
        if (next !== -1 && idom[v] !== next) {
          idom[v] = next;
          changed = true;
        }
      }
    }
    this.idom = idom;

    // A dominator comes after what it dominates in postorder: sum sizes upward in that order.
    const retained = Float64Array.from(this.selfSize);
    for (let k = 0; k < count - 1; k++) {
      const v = order[k]!;
      retained[idom[v]!]! += retained[v]!;
    }
    this.retainedSize = retained;
  }

  /** Parses `.heapsnapshot` text. */
  static parse(text: string): HeapGraph {
    let raw: RawSnapshot;
    try {
      raw = JSON.parse(text) as RawSnapshot;
    } catch (err) {
      throw new InvalidArgumentError('not a heap snapshot: the file is not JSON', { cause: err });
    }
    return new HeapGraph(raw);
  }
}

/** DevTools' grouping: objects by constructor, the rest by kind. */
function classNameOf(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
      return name;
    case 'closure':
      return '(closure)';
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'array':
      return '(array)';
    case 'code':
      return '(compiled code)';
    case 'hidden':
      return '(system)';
    case 'number':
      return '(heap number)';
    case 'regexp':
      return 'RegExp';
    case 'synthetic':
      return name;
    default:
      return `(${type})`;
  }
}
