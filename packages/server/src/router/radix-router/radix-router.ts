import { InvalidRouteError, RouteConflictError } from '../../errors.js';
import type { RouteMatch, RouteMissed, Router } from '../index.js';
import { Endpoint, RadixNode } from './node.js';

const NOT_FOUND: RouteMissed = Object.freeze({ found: false, allow: null });
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});
const SLASH = 47;

type Token = { kind: 'static'; text: string } | { kind: 'param'; name: string } | { kind: 'wildcard' };

/**
 * A radix tree with static, `:param` and trailing `*` segments. Precedence at each position is
 * static, then parameter, then wildcard, with backtracking, so `/users/me` beats `/users/:id`.
 * Fully static paths also sit in a map and match with one lookup and no allocation.
 */
export class RadixRouter<T> implements Router<T> {
  readonly #root = new RadixNode<T>('');
  readonly #static = new Map<string, Endpoint<T>>();

  add(method: string, path: string, value: T): void {
    const tokens = tokenize(path);
    const label = `${method} ${path}`;
    let node = this.#root;
    const names: string[] = [];
    let endpoint: Endpoint<T> | undefined;
    for (const token of tokens) {
      if (token.kind === 'static') {
        node = node.insertStatic(token.text);
      } else if (token.kind === 'param') {
        if (names.includes(token.name)) {
          throw new InvalidRouteError(`route ${label} uses the parameter :${token.name} twice`);
        }
        if (node.param && node.param.name !== token.name) {
          throw new RouteConflictError(
            `route ${label} names the parameter :${token.name} where route ${node.param.label} names it :${node.param.name}; use one name`,
          );
        }
        node.param ??= { name: token.name, label, node: new RadixNode<T>('') };
        node = node.param.node;
        names.push(token.name);
      } else {
        names.push('*');
        node.wildcard ??= new Endpoint<T>(names);
        endpoint = node.wildcard;
      }
    }
    if (!endpoint) {
      node.endpoint ??= new Endpoint<T>(names);
      endpoint = node.endpoint;
    }
    const existing = endpoint.labels.get(method);
    if (existing !== undefined) {
      throw new RouteConflictError(
        `route ${label} conflicts with route ${existing}: both match the same requests`,
      );
    }
    endpoint.add(method, label, value, NO_PARAMS);
    if (names.length === 0) this.#static.set(path, endpoint);
  }

  match(method: string, path: string): RouteMatch<T> {
    const fixed = this.#static.get(path);
    if (fixed !== undefined) {
      const hit = fixed.lookup(method);
      if (hit !== undefined) return hit;
    }
    const captures: number[] = [];
    passedOver.length = 0;
    const endpoint = find(this.#root, path, 0, captures, method);
    if (endpoint === null) return notMatched(passedOver);
    const found = endpoint.lookup(method)!;
    const params: Record<string, string> = {};
    const names = endpoint.paramNames;
    for (let i = 0; i < names.length; i++) {
      params[names[i]!] = decodeParam(path.slice(captures[2 * i], captures[2 * i + 1]));
    }
    return { found: true, value: found.value, params };
  }
}

/**
 * Endpoints the last search matched by path but not by method. Module-level scratch: `match` is
 * synchronous, so one array serves every call without allocating on the hit path.
 */
const passedOver: Endpoint<unknown>[] = [];

/** 404 when no route has the path; else 405 with every method any route for the path allows. */
function notMatched(endpoints: readonly Endpoint<unknown>[]): RouteMissed {
  if (endpoints.length === 0) return NOT_FOUND;
  if (endpoints.length === 1) return endpoints[0]!.notAllowed;
  const methods = new Set(endpoints.flatMap((endpoint) => endpoint.notAllowed.allow!.split(', ')));
  return { found: false, allow: [...methods].sort().join(', ') };
}

/**
 * Depth-first search with backtracking for a route with this path and method, so a lower-precedence
 * route still matches a method the higher one lacks (`GET /users/me` does not hide
 * `POST /users/:id`). `captures` holds [start, end) pairs of param values; endpoints that matched
 * the path but not the method are noted in `passedOver` for the 405.
 */
function find<T>(
  node: RadixNode<T>,
  path: string,
  pos: number,
  captures: number[],
  method: string,
): Endpoint<T> | null {
  if (pos === path.length && node.endpoint !== null) {
    if (node.endpoint.lookup(method) !== undefined) return node.endpoint;
    passedOver.push(node.endpoint as Endpoint<unknown>);
  }
  if (pos < path.length) {
    const child = node.childFor(path.charCodeAt(pos));
    if (child !== undefined && path.startsWith(child.prefix, pos)) {
      const hit = find(child, path, pos + child.prefix.length, captures, method);
      if (hit !== null) return hit;
    }
    if (node.param !== null && path.charCodeAt(pos) !== SLASH) {
      let end = path.indexOf('/', pos);
      if (end === -1) end = path.length;
      captures.push(pos, end);
      const hit = find(node.param.node, path, end, captures, method);
      if (hit !== null) return hit;
      captures.length -= 2;
    }
  }
  if (node.wildcard !== null) {
    if (node.wildcard.lookup(method) !== undefined) {
      captures.push(pos, path.length);
      return node.wildcard;
    }
    passedOver.push(node.wildcard as Endpoint<unknown>);
  }
  return null;
}

function decodeParam(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    // A malformed escape is passed through as sent; validation can reject it with a 400.
    return raw;
  }
}

function tokenize(path: string): Token[] {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new InvalidRouteError(`route path must start with '/', got ${JSON.stringify(path)}`);
  }
  const tokens: Token[] = [];
  let text = '';
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    text += '/';
    if (segment.startsWith(':')) {
      const name = segment.slice(1);
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
        throw new InvalidRouteError(
          `route ${path}: parameter name ${JSON.stringify(name)} is not an identifier`,
        );
      }
      tokens.push({ kind: 'static', text });
      text = '';
      tokens.push({ kind: 'param', name });
    } else if (segment === '*') {
      if (i !== segments.length - 1)
        throw new InvalidRouteError(`route ${path}: '*' must be the last segment`);
      tokens.push({ kind: 'static', text });
      text = '';
      tokens.push({ kind: 'wildcard' });
    } else if (segment.includes(':') || segment.includes('*')) {
      throw new InvalidRouteError(
        `route ${path}: ':' and '*' are only allowed as a whole segment (':name' or a trailing '*')`,
      );
    } else {
      text += segment;
    }
  }
  if (text !== '') tokens.push({ kind: 'static', text });
  return tokens;
}
