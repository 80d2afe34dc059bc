import type { ActorRef } from '../actor/actor-ref.js';
import { DeathWatch } from '../actor/death-watch.js';
import type { DeathNotice, ExitReason, Message, ReplyMap } from '../actor/message.js';
import { InvalidArgumentError, RestartIntensityError, SiblingFailedError } from '../errors.js';
import type {
  ActorChildSpec,
  ChildSpec,
  RestartType,
  Strategy,
  SupervisorChildSpec,
  SupervisorSpec,
} from './child-spec.js';
import { backoffDelay, checkBackoff, RestartWindow } from './restart-intensity.js';
import { checkSupervisorSpec } from './spec-validation.js';
import type { ChildParent, SupervisedChild } from './supervised-child.js';
import type { ChildInfo, SupervisorRef, TypedActorChildSpec } from './supervisor-ref.js';

/** How a supervisor creates actor children (local, thread or cluster placement is decided there). */
export interface ChildFactory {
  createActor(spec: ActorChildSpec, parent: ChildParent): { child: SupervisedChild; handle: ActorRef };
  newAddress(): string;
  /** Whether a registered name is in use (specs are checked against it before anything starts). */
  nameTaken(name: string): boolean;
  /** Where errors nobody awaits go (a throwing watcher, a failed restart step). */
  reportError(address: string, what: string, error: unknown): void;
}

interface Entry {
  readonly id: string;
  readonly spec: ChildSpec;
  readonly restart: RestartType;
  readonly dynamic: boolean;
  child: SupervisedChild;
  handle: ActorRef | SupervisorRef;
  restarts: number;
  /** Restart times of this child within the intensity window, for backoff. */
  readonly window: RestartWindow;
}

const DEFAULT_INTENSITY = { maxRestarts: 3, withinMs: 5000 };

/**
 * An OTP supervisor. Child exits are handled one at a time, in order, on a promise chain, so a
 * restart never races another child's failure.
 */
export class Supervisor implements SupervisedChild, ChildParent, SupervisorRef {
  readonly address: string;
  parent: ChildParent | null = null;
  private readonly strategy: Strategy;
  private readonly window: RestartWindow;
  private entries: Entry[] = [];
  private ops: Promise<void> = Promise.resolve();
  private stopping = false;
  private terminated: ExitReason | null = null;
  private readonly deathWatch = new DeathWatch();

  constructor(
    private readonly spec: SupervisorSpec,
    private readonly factory: ChildFactory,
    /** Called instead of a parent when this is the root and it gives up. */
    private readonly onGiveUp?: (error: RestartIntensityError) => void,
  ) {
    const strategy = spec.strategy ?? 'one_for_one';
    if (strategy !== 'one_for_one' && strategy !== 'one_for_all' && strategy !== 'rest_for_one') {
      throw new InvalidArgumentError(`unknown supervisor strategy ${String(strategy)}`);
    }
    checkBackoff(spec.backoff);
    this.strategy = strategy;
    this.window = new RestartWindow(spec.intensity ?? DEFAULT_INTENSITY);
    this.address = factory.newAddress();
  }

  // --- SupervisorRef ---

  startChild<M extends Message, S, R extends ReplyMap>(spec: TypedActorChildSpec<M, S, R>): ActorRef<M, R> {
    this.check(spec as ChildSpec);
    return this.add(spec, true).handle as unknown as ActorRef<M, R>;
  }

  startSupervisor(spec: SupervisorChildSpec): SupervisorRef {
    this.check(spec);
    return this.add(spec, true).handle as SupervisorRef;
  }

  /** Checks a dynamic child (and, for a supervisor, its whole subtree) before anything starts. */
  private check(spec: ChildSpec): void {
    checkSupervisorSpec({ children: [spec] }, `supervisor ${this.address}`, (name) =>
      this.factory.nameTaken(name),
    );
  }

  async terminateChild(id: string): Promise<void> {
    const run = async () => {
      const entry = this.entries.find((e) => e.id === id);
      if (entry === undefined) throw new InvalidArgumentError(`supervisor has no child "${id}"`);
      this.entries = this.entries.filter((e) => e !== entry);
      await entry.child.stop({ type: 'shutdown' });
    };
    const op = this.ops.then(run);
    // The caller gets this operation's error; the chain goes on for the next one.
    this.ops = op.then(
      () => undefined,
      () => undefined,
    );
    return op;
  }

  actor<M extends Message = Message, R extends ReplyMap = ReplyMap>(id: string): ActorRef<M, R> | undefined {
    const entry = this.entries.find((e) => e.id === id);
    return entry !== undefined && 'actor' in entry.spec
      ? (entry.handle as unknown as ActorRef<M, R>)
      : undefined;
  }

  supervisor(id: string): SupervisorRef | undefined {
    const entry = this.entries.find((e) => e.id === id);
    return entry !== undefined && 'supervisor' in entry.spec ? (entry.handle as SupervisorRef) : undefined;
  }

  children(): ChildInfo[] {
    return this.entries.map((e) => {
      const depth = e.child.mailboxDepth;
      return {
        id: e.id,
        address: e.child.address,
        type: 'actor' in e.spec ? 'actor' : 'supervisor',
        restart: e.restart,
        restarts: e.restarts,
        ...(depth !== undefined ? { mailboxDepth: depth } : {}),
      };
    });
  }

  watch(listener: (notice: DeathNotice) => void): () => void {
    return this.deathWatch.add(listener, this.address, this.terminated);
  }

  // --- children ---

  private add(spec: ChildSpec, dynamic: boolean): Entry {
    if (this.stopping || this.terminated !== null) {
      throw new InvalidArgumentError(
        `supervisor ${this.address} is stopping; cannot start child "${spec.id}"`,
      );
    }
    if (typeof spec.id !== 'string' || spec.id === '')
      throw new InvalidArgumentError('a child spec needs a non-empty string id');
    if (this.entries.some((e) => e.id === spec.id)) {
      throw new InvalidArgumentError(`supervisor already has a child "${spec.id}"`);
    }
    const restart = spec.restart ?? 'permanent';
    if (restart !== 'permanent' && restart !== 'transient' && restart !== 'temporary') {
      throw new InvalidArgumentError(`unknown restart type ${String(restart)}`);
    }
    const { child, handle } = this.create(spec);
    const entry: Entry = {
      id: spec.id,
      spec,
      restart,
      dynamic,
      child,
      handle,
      restarts: 0,
      window: new RestartWindow(this.spec.intensity ?? DEFAULT_INTENSITY),
    };
    this.entries.push(entry);
    child.start();
    return entry;
  }

  private create(spec: ChildSpec): { child: SupervisedChild; handle: ActorRef | SupervisorRef } {
    if ('supervisor' in spec) {
      const sup = new Supervisor(spec.supervisor, this.factory);
      sup.parent = this;
      return { child: sup, handle: sup };
    }
    if (typeof spec.actor !== 'object' || spec.actor === null || typeof spec.actor.receive !== 'function') {
      throw new InvalidArgumentError(`child "${spec.id}" needs an actor definition with receive()`);
    }
    return this.factory.createActor(spec, this);
  }

  childExited(child: SupervisedChild, reason: ExitReason): void {
    this.ops = this.ops
      .then(() => this.handleExit(child, reason))
      .catch((err: unknown) => this.factory.reportError(this.address, 'restart of a child', err));
  }

  private async handleExit(child: SupervisedChild, reason: ExitReason): Promise<void> {
    const index = this.entries.findIndex((e) => e.child === child);
    const entry = this.entries[index];
    if (entry === undefined || this.stopping) {
      // A child we no longer own (already removed, or we are shutting down): make sure it is gone.
      await child.stop(reason);
      return;
    }
    const failed = reason.type === 'error';
    if (entry.restart === 'temporary' || (entry.restart === 'transient' && !failed)) {
      this.entries.splice(index, 1);
      await child.stop(reason);
      return;
    }
    const error = failed ? reason.error : new Error(`child "${entry.id}" exited normally`);
    if (!this.window.record()) {
      await this.giveUp(error);
      return;
    }
    entry.window.record();
    const delay = backoffDelay(this.spec.backoff, entry.window.count());
    const affected =
      this.strategy === 'one_for_one'
        ? [entry]
        : this.strategy === 'one_for_all'
          ? [...this.entries]
          : this.entries.slice(index);
    // OTP order: halt in reverse start order, then start again in start order.
    for (const e of [...affected].reverse()) {
      if (e !== entry && e.restart === 'temporary') {
        this.entries = this.entries.filter((x) => x !== e);
        await e.child.stop({ type: 'shutdown' });
        continue;
      }
      await e.child.halt(e === entry ? error : new SiblingFailedError(entry.id, error));
    }
    for (const e of affected) {
      if (!this.entries.includes(e)) continue;
      e.restarts++;
      void e.child.resume(e === entry ? delay : 0);
    }
  }

  private async giveUp(cause: unknown): Promise<void> {
    const intensity = this.spec.intensity ?? DEFAULT_INTENSITY;
    const error = new RestartIntensityError(this.address, intensity.maxRestarts, intensity.withinMs, cause);
    await this.stopChildren();
    if (this.parent !== null) this.parent.childExited(this, { type: 'error', error });
    else {
      this.finish({ type: 'error', error });
      this.onGiveUp?.(error);
    }
  }

  private async stopChildren(): Promise<void> {
    this.stopping = true;
    const entries = this.entries;
    this.entries = [];
    for (const e of [...entries].reverse()) await e.child.stop({ type: 'shutdown' });
  }

  private finish(reason: ExitReason): void {
    if (this.terminated !== null) return;
    this.terminated = reason;
    this.deathWatch.notify(this.address, reason, (err) =>
      this.factory.reportError(this.address, 'watch listener', err),
    );
  }

  // --- SupervisedChild (this supervisor under a parent) ---

  start(): void {
    this.stopping = false;
    this.window.clear();
    try {
      for (const spec of this.spec.children ?? []) this.add(spec, false);
    } catch (err) {
      // A bad static child spec fails this supervisor's start, like an init error in OTP.
      if (this.parent !== null) this.parent.childExited(this, { type: 'error', error: err });
      else throw err;
    }
  }

  /** A restart of a supervisor stops all its children; `resume` starts the static ones again. */
  async halt(_reason: unknown): Promise<void> {
    await this.ops;
    await this.stopChildren();
  }

  async resume(delayMs: number): Promise<void> {
    if (delayMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
    if (this.terminated !== null) return;
    this.start();
  }

  async stop(reason: ExitReason): Promise<void> {
    if (this.terminated !== null) return;
    await this.stopChildren();
    this.finish(reason);
  }
}
