import { REF_BRAND } from '../actor/routable-ref.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * A shape: the keys of a message, nested objects as `[key, shape]`. Sent once per link; after
 * that a message of that shape travels as its leaf values only.
 */
export type ShapeDescriptor = (string | [string, ShapeDescriptor])[];

const MAX_DEPTH = 3;
const MAX_SHAPES = 4096;

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    (value as { [REF_BRAND]?: true })[REF_BRAND] !== true
  );
}

/** A node of the shape trie: one step per key, in key order. */
interface ShapeNode {
  /** Next node after a leaf value under key k. */
  leaf: Map<string, ShapeNode> | null;
  /** Node at the start of a nested record under key k. */
  nest: Map<string, ShapeNode> | null;
  /** Node after the nested record that this node ends. */
  up: ShapeNode | null;
  /** Shape id when a message can end here. */
  id: number;
}

const MAX_NODES = 65_536;

/**
 * Sender side of record encoding. msgpack spends most of its time on map keys (utf8 on encode,
 * string decode on the other side); messages of one type repeat the same keys, so a message is
 * sent as a shape id plus its leaf values, and the receiver rebuilds it with a compiled literal.
 * Shapes are found by walking a trie of property names (Map lookups of interned key strings), so
 * packing builds no strings.
 */
export class ShapePacker {
  private readonly root: ShapeNode = node();
  private nodes = 1;
  private shapes = 0;
  private readonly sizes: number[] = [];
  /** Leaf values of the message last packed. */
  readonly values: unknown[] = [];

  /** Number of leaf values of shape `id`. */
  size(id: number): number {
    return this.sizes[id]!;
  }

  /**
   * Collects `msg`'s leaf values into {@link values} and returns its shape id, calling `define`
   * the first time a shape is seen; -1 when `msg` is not a plain record (sent as is instead).
   * @throws {InvalidArgumentError} for a `__proto__` key, which msgpack refuses to decode, or a
   * function or symbol value.
   */
  pack(msg: unknown, define: (id: number, descriptor: ShapeDescriptor) => void): number {
    const values = this.values;
    values.length = 0;
    if (!isPlainRecord(msg)) return -1;
    const end = this.walk(msg, this.root, 0);
    if (end === null) return -1;
    if (end.id < 0) {
      if (this.shapes >= MAX_SHAPES) return -1;
      end.id = this.shapes++;
      this.sizes[end.id] = values.length;
      define(end.id, describe(msg, 0));
    }
    return end.id;
  }

  private step(map: Map<string, ShapeNode>, key: string): ShapeNode | null {
    let next = map.get(key);
    if (next === undefined) {
      if (this.nodes >= MAX_NODES) return null;
      this.nodes++;
      next = node();
      map.set(key, next);
    }
    return next;
  }

  /** Pushes leaves in key order and returns the trie node the message's shape ends at. */
  private walk(obj: Record<string, unknown>, start: ShapeNode, depth: number): ShapeNode | null {
    let at: ShapeNode | null = start;
    for (const k in obj) {
      // msgpack's decoder rejects it, and an object literal would take it as the prototype.
      if (k === '__proto__') {
        throw new InvalidArgumentError('a message sent to another thread may not have a "__proto__" key');
      }
      const v = obj[k];
      if (depth + 1 < MAX_DEPTH && isPlainRecord(v)) {
        at.nest ??= new Map();
        const inner = this.step(at.nest, k);
        const innerEnd = inner === null ? null : this.walk(v, inner, depth + 1);
        if (innerEnd === null) return null;
        if (innerEnd.up === null) {
          if (this.nodes >= MAX_NODES) return null;
          this.nodes++;
          innerEnd.up = node();
        }
        at = innerEnd.up;
      } else {
        // The common mistakes are refused here, at the send site; anything deeper is caught
        // when the batch is encoded (the message then goes to dead letters).
        if (typeof v === 'function' || typeof v === 'symbol') {
          throw new InvalidArgumentError(`a ${typeof v} cannot be sent to another thread (key "${k}")`);
        }
        this.values.push(v);
        at.leaf ??= new Map();
        at = this.step(at.leaf, k);
        if (at === null) return null;
      }
    }
    return at;
  }
}

function node(): ShapeNode {
  return { leaf: null, nest: null, up: null, id: -1 };
}

function describe(obj: Record<string, unknown>, depth: number): ShapeDescriptor {
  const out: ShapeDescriptor = [];
  for (const k in obj) {
    const v = obj[k];
    out.push(depth + 1 < MAX_DEPTH && isPlainRecord(v) ? [k, describe(v, depth + 1)] : k);
  }
  return out;
}

/** Receiver side: rebuilds messages from shape ids and leaf values. */
export class ShapeBuilders {
  private readonly builders: ((values: unknown[], at: number) => unknown)[] = [];
  private readonly sizes: number[] = [];

  /** Compiles shape `id`; the descriptor comes off the wire, so it is checked before use. */
  define(id: number, descriptor: unknown): void {
    let leaf = 0;
    const literal = (d: unknown): string => {
      if (!Array.isArray(d)) throw new InvalidArgumentError('corrupt frame: bad record shape');
      const parts = d.map((entry: unknown) => {
        if (typeof entry === 'string' && entry !== '__proto__')
          return `${JSON.stringify(entry)}: v[i + ${leaf++}]`;
        if (Array.isArray(entry) && typeof entry[0] === 'string' && entry[0] !== '__proto__') {
          return `${JSON.stringify(entry[0])}: ${literal(entry[1])}`;
        }
        throw new InvalidArgumentError('corrupt frame: bad record shape');
      });
      return `{${parts.join(', ')}}`;
    };
    const body = `return ${literal(descriptor)};`;
    // Keys are JSON-quoted, so the generated source is a plain object literal whatever they hold.
    this.builders[id] = new Function('v', 'i', body) as (values: unknown[], at: number) => unknown;
    this.sizes[id] = leaf;
  }

  /** Leaf count of shape `id`. */
  size(id: number): number {
    const n = this.sizes[id];
    if (n === undefined) throw new InvalidArgumentError(`corrupt frame: unknown record shape ${id}`);
    return n;
  }

  build(id: number, values: unknown[], at: number): unknown {
    return this.builders[id]!(values, at);
  }
}
