import type { RouteFound, RouteMissed } from '../index.js';

/** The routes ending at one tree position: one value per method, and the answers pre-built. */
export class Endpoint<T> {
  /** `method -> match`; for static paths the match object is the one returned, shared. */
  readonly byMethod = new Map<string, RouteFound<T>>();
  /** `method -> "METHOD /pattern"` of who registered it, to name both sides of a conflict. */
  readonly labels = new Map<string, string>();
  /** Parameter names in path order (`*` for the wildcard). */
  readonly paramNames: readonly string[];
  /** The pre-built 405 answer, rebuilt whenever a method is added. */
  notAllowed: RouteMissed = { found: false, allow: '' };

  constructor(paramNames: readonly string[]) {
    this.paramNames = paramNames;
  }

  add(method: string, label: string, value: T, params: Readonly<Record<string, string>>): void {
    this.byMethod.set(method, { found: true, value, params });
    this.labels.set(method, label);
    const methods = [...this.byMethod.keys()];
    if (this.byMethod.has('GET') && !this.byMethod.has('HEAD')) methods.push('HEAD');
    this.notAllowed = { found: false, allow: methods.sort().join(', ') };
  }

  /** The value for a method, with the automatic `HEAD` → `GET` fallback. */
  lookup(method: string): RouteFound<T> | undefined {
    return this.byMethod.get(method) ?? (method === 'HEAD' ? this.byMethod.get('GET') : undefined);
  }
}

/**
 * A radix-tree node. `prefix` is the static text it consumes; children are keyed by their first
 * character code; a `:param` child consumes one path segment, a wildcard the rest of the path.
 */
export class RadixNode<T> {
  prefix: string;
  children: RadixNode<T>[] = [];
  /** First character code of each child, parallel to `children`, for a scan without strings. */
  childChars: number[] = [];
  param: { name: string; label: string; node: RadixNode<T> } | null = null;
  wildcard: Endpoint<T> | null = null;
  endpoint: Endpoint<T> | null = null;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  childFor(code: number): RadixNode<T> | undefined {
    const chars = this.childChars;
    for (let i = 0; i < chars.length; i++) if (chars[i] === code) return this.children[i];
    return undefined;
  }

  /** Returns the node reached after consuming `text` below this one, splitting nodes as needed. */
  insertStatic(text: string): RadixNode<T> {
    if (text === '') return this;
    const code = text.charCodeAt(0);
    const index = this.childChars.indexOf(code);
    if (index === -1) {
      const child = new RadixNode<T>(text);
      this.children.push(child);
      this.childChars.push(code);
      return child;
    }
    const child = this.children[index]!;
    let common = 0;
    const max = Math.min(child.prefix.length, text.length);
    while (common < max && child.prefix.charCodeAt(common) === text.charCodeAt(common)) common++;
    if (common < child.prefix.length) {
      // Split: the shared part becomes a new node holding the old child under its remainder.
      const shared = new RadixNode<T>(child.prefix.slice(0, common));
      child.prefix = child.prefix.slice(common);
      shared.children.push(child);
      shared.childChars.push(child.prefix.charCodeAt(0));
      this.children[index] = shared;
      return shared.insertStatic(text.slice(common));
    }
    return child.insertStatic(text.slice(common));
  }
}
