import { ActorNameTakenError, InvalidArgumentError } from '../errors.js';
import { checkMailboxOptions } from '../mailbox/mailbox.js';
import type { ChildSpec, SupervisorSpec } from './child-spec.js';
import { checkBackoff } from './restart-intensity.js';

const STRATEGIES: readonly unknown[] = ['one_for_one', 'one_for_all', 'rest_for_one'];
const RESTARTS: readonly unknown[] = ['permanent', 'transient', 'temporary'];
const PLACEMENTS: readonly unknown[] = ['auto', 'local', 'thread', 'cluster'];

function fail(where: string, problem: string): never {
  throw new InvalidArgumentError(`${where}: ${problem}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return isObject(value);
}

/** The same check without narrowing, for typed specs that may be junk at runtime. */
function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a whole supervision tree before anything starts, so a typo fails `supervise()` with an
 * error naming the child and the field, instead of a supervisor crash-looping on it at runtime.
 * `nameTaken` says whether a registered name is already in use in the system.
 * @throws {InvalidArgumentError} for a bad field; {@link ActorNameTakenError} for a taken name.
 */
export function checkSupervisorSpec(
  spec: SupervisorSpec,
  where: string,
  nameTaken: (name: string) => boolean,
  names = new Set<string>(),
): void {
  if (!isObject(spec)) fail(where, `the supervisor spec must be an object, got ${String(spec)}`);
  if (spec.strategy !== undefined && !STRATEGIES.includes(spec.strategy))
    fail(where, `strategy must be one of ${STRATEGIES.join(', ')}, got ${String(spec.strategy)}`);
  if (spec.intensity !== undefined) {
    if (!isObject(spec.intensity)) fail(where, 'intensity must be { maxRestarts, withinMs }');
    const { maxRestarts, withinMs } = spec.intensity;
    if (!Number.isInteger(maxRestarts) || maxRestarts < 0)
      fail(where, `intensity.maxRestarts must be an integer >= 0, got ${String(maxRestarts)}`);
    if (typeof withinMs !== 'number' || !(withinMs > 0) || !Number.isFinite(withinMs))
      fail(where, `intensity.withinMs must be a finite number > 0, got ${String(withinMs)}`);
  }
  try {
    checkBackoff(spec.backoff);
  } catch (err) {
    fail(where, (err as Error).message);
  }
  if (spec.children === undefined) return;
  if (!Array.isArray(spec.children)) fail(where, 'children must be an array');
  const ids = new Set<string>();
  spec.children.forEach((child: ChildSpec, index: number) => {
    if (!isObject(child)) fail(`${where}, children[${index}]`, 'a child spec must be an object');
    const id = child.id;
    if (typeof id !== 'string' || id === '')
      fail(`${where}, children[${index}]`, 'id must be a non-empty string');
    const at = `${where}, child "${id}"`;
    if (ids.has(id)) fail(at, 'id is used by another child of the same supervisor');
    ids.add(id);
    if (child.restart !== undefined && !RESTARTS.includes(child.restart))
      fail(at, `restart must be one of ${RESTARTS.join(', ')}, got ${String(child.restart)}`);
    const isActor = 'actor' in child;
    const isSupervisor = 'supervisor' in child;
    if (isActor === isSupervisor) fail(at, 'give exactly one of actor or supervisor');
    if (isSupervisor) {
      checkSupervisorSpec(child.supervisor, `${at} (supervisor)`, nameTaken, names);
      return;
    }
    const def = child.actor as unknown;
    if (!isRecord(def) || typeof def.receive !== 'function' || typeof def.start !== 'function')
      fail(at, 'actor must be a definition with start() and receive()');
    if (child.name !== undefined) {
      if (typeof child.name !== 'string' || child.name === '') fail(at, 'name must be a non-empty string');
      if (names.has(child.name) || nameTaken(child.name)) throw new ActorNameTakenError(child.name, at);
      names.add(child.name);
    }
    if (child.mailbox !== undefined) checkMailboxOptions(child.mailbox, `${at}: mailbox`);
    const placement = child.placement ?? 'auto';
    if (!PLACEMENTS.includes(placement))
      fail(at, `placement must be one of ${PLACEMENTS.join(', ')}, got ${String(placement)}`);
    if ((placement === 'thread' || placement === 'cluster') && typeof def.kind !== 'string')
      fail(at, `placement ${placement} needs an actor definition with a kind`);
    if (def.mailbox !== undefined) checkMailboxOptions(def.mailbox as object, `${at}: actor.mailbox`);
    const deadline = def.handlerDeadlineMs;
    if (
      deadline !== undefined &&
      (typeof deadline !== 'number' || !(deadline > 0) || !Number.isFinite(deadline))
    )
      fail(at, `actor.handlerDeadlineMs must be a finite number > 0, got ${String(deadline)}`);
  });
}
