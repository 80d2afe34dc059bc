import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '../errors.js';
import type { AnyActorDefinition } from './actor-definition.js';

/** Actor definitions by `kind`, as loaded by a worker thread or a cluster node from its modules. */
export type KindRegistry = ReadonlyMap<string, AnyActorDefinition>;

/** Turns a module given as URL, `file:` string or absolute path into an importable URL string. */
export function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  if (/^[a-z]+:/i.test(module)) return module;
  throw new InvalidArgumentError(`actor module "${module}" must be a URL or an absolute path`);
}

function isDefinition(value: unknown): value is AnyActorDefinition & { kind: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AnyActorDefinition).kind === 'string' &&
    typeof (value as AnyActorDefinition).receive === 'function' &&
    typeof (value as AnyActorDefinition).start === 'function'
  );
}

/** Imports `modules` and collects every exported definition that has a `kind`. */
export async function loadKinds(modules: readonly string[]): Promise<KindRegistry> {
  const kinds = new Map<string, AnyActorDefinition>();
  for (const url of modules) {
    const exports = (await import(url)) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (!isDefinition(value)) continue;
      const existing = kinds.get(value.kind);
      if (existing !== undefined && existing !== value) {
        throw new InvalidArgumentError(`actor kind "${value.kind}" is defined twice (in ${url})`);
      }
      kinds.set(value.kind, value);
    }
  }
  return kinds;
}
