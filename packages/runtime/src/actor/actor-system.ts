import type { ClusterOptions, ClusterStats } from '../cluster/cluster-link.js';
import type { TopicRelay } from '../cluster/topic-relay.js';
// Types only: the schema (zod) stays out of the actor threads, which import this file.
import type { RuntimeConfig, RuntimeConfigInput } from '../config/runtime-config-schema.js';
import {
  ActorNameTakenError,
  InvalidArgumentError,
  PlacementUnavailableError,
  type RestartIntensityError,
} from '../errors.js';
import type { MailboxOptions, ReplyTo } from '../mailbox/mailbox.js';
import type {
  ActorChildSpec,
  Placement,
  RestartIntensity,
  RestartType,
  Strategy,
  SupervisorSpec,
} from '../supervisor/child-spec.js';
import type { ChildParent, SupervisedChild } from '../supervisor/supervised-child.js';
import { type ChildFactory, Supervisor } from '../supervisor/supervisor.js';
import type { SupervisorRef } from '../supervisor/supervisor-ref.js';
import type { ActorThreadOptions } from '../threads/thread-options.js';
import { ActorCell, type CellHost } from './actor-cell.js';
import type { ActorDefinition } from './actor-definition.js';
import type { ActorRef } from './actor-ref.js';
import { Dispatcher } from './dispatcher.js';
import { type DeadLetter, type DeathNotice, isMessage, type Message, type ReplyMap } from './message.js';
import { AskDeadlines } from './pending-ask.js';
import { type RoutableRef, UnreachableRef } from './routable-ref.js';
import type { MessageHeaders } from './tracing-channels.js';

/** Places actors somewhere other than this thread (worker threads, cluster nodes). */
export interface RemotePlacement {
  createActor(
    spec: ActorChildSpec,
    parent: ChildParent,
    address: string,
  ): { child: SupervisedChild; handle: ActorRef };
  /** Frees threads / connections. */
  close(): Promise<void>;
}

/** Options of {@link createActorSystem}. */
export interface ActorSystemOptions {
  /** The `runtime:` config section (validated with `runtimeConfigSchema`). */
  readonly config?: RuntimeConfigInput;
  /** This process's id in addresses and in the cluster (default: a random one). */
  readonly nodeId?: string;
  /**
   * Modules (URLs or absolute paths) whose exported actor definitions with a `kind` can be placed
   * on worker threads and cluster nodes; each thread / node imports them.
   */
  readonly modules?: readonly (string | URL)[];
  /** Default `ask` timeout (5000 ms). */
  readonly askTimeoutMs?: number;
  /** Longest a stop/restart waits for an in-flight async handler (5000 ms). */
  readonly shutdownTimeoutMs?: number;
  /** The root supervisor's strategy and intensity (one_for_one, 10 restarts in 1 s). */
  readonly root?: { readonly strategy?: Strategy; readonly intensity?: RestartIntensity };
  /** Called when the root supervisor gives up; default: log to stderr and shut the system down. */
  readonly onFatal?: (error: RestartIntensityError) => void;
  /** Distributed mode (`supervisor_mode: distributed`): cluster name, hosting, liveness timing. */
  readonly cluster?: ClusterOptions;
  /** Called when a lifecycle hook throws where no caller can see it (default: stderr). */
  readonly onHookError?: (address: string, hook: string, error: unknown) => void;
  /** How the actor worker threads (`actor_threads`) are started: a young-generation cap, a lower priority (default neither). */
  readonly threads?: ActorThreadOptions;
}

/** Options of {@link ActorSystem.spawn}. */
export interface SpawnOptions {
  /** Register under this name (unique in this process); see {@link ActorSystem.lookup}. */
  readonly name?: string;
  /** Overrides the definition's mailbox options. */
  readonly mailbox?: MailboxOptions;
  /** How the root supervisor restarts it (default `permanent`). */
  readonly restart?: RestartType;
  /** Default `auto`. */
  readonly placement?: Placement;
}

/** Options of {@link ActorSystem.supervise}. */
export interface SuperviseOptions {
  /** Child id under the root (default: generated). */
  readonly id?: string;
  /** How the root restarts it (default `permanent`). */
  readonly restart?: RestartType;
}

/** Placement factories installed by `createActorSystem` (kept out of the public surface). */
export interface PlacementHooks {
  thread?: RemotePlacement;
  cluster?: RemotePlacement & {
    refreshNodes(): Promise<string[]>;
    stats(): ClusterStats;
    topicRelay(): TopicRelay;
  };
}

/**
 * A process-wide actor system: the dispatcher, the registry of names, dead letters and the root of
 * the supervision tree. Create one with {@link createActorSystem}.
 */
export class ActorSystem implements CellHost {
  /** The validated `runtime:` config. */
  readonly config: RuntimeConfig;
  /** This process's id: the first part of every address created here. */
  readonly nodeId: string;
  /** @internal */ readonly dispatcher = new Dispatcher();
  /** @internal */ readonly deadlines = new AskDeadlines();
  /** @internal */ readonly defaultAskTimeoutMs: number;
  /** @internal */ readonly shutdownTimeoutMs: number;
  /** @internal */ readonly placements: PlacementHooks = {};
  private readonly names = new Map<string, ActorRef>();
  /** Local cells by address, for routers that deliver messages arriving from other threads/nodes. */
  private readonly cells = new Map<string, ActorCell>();
  /** Refs of actors hosted elsewhere (threads, nodes) that this process supervises or knows. */
  private readonly routes = new Map<string, RoutableRef>();
  /** @internal resolves addresses no local table knows (worker threads: via the host; hosts: the cluster). */
  fallbackRoute: ((address: string) => RoutableRef | undefined) | null = null;
  private readonly deadLetterListeners = new Set<(letter: DeadLetter) => void>();
  private deadLetters = 0;
  private nextId = 0;
  private readonly root: Supervisor;
  private closed = false;

  /** @internal use {@link createActorSystem}. */
  constructor(options: ActorSystemOptions, config: RuntimeConfig) {
    this.config = config;
    this.nodeId = options.nodeId ?? `n${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    if (!/^[A-Za-z0-9_-]+$/.test(this.nodeId)) {
      throw new InvalidArgumentError(`nodeId may hold only letters, digits, _ and -, got "${this.nodeId}"`);
    }
    this.defaultAskTimeoutMs = options.askTimeoutMs ?? 5000;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5000;
    const onHookError = options.onHookError;
    if (onHookError !== undefined) this.hookError = onHookError;
    const onFatal =
      options.onFatal ??
      ((error: RestartIntensityError) => {
        console.error('[zephyr/runtime] root supervisor gave up; shutting the actor system down', error);
        void this.shutdown();
      });
    const factory: ChildFactory = {
      createActor: (spec, parent) => this.createActor(spec, parent),
      newAddress: () => this.newAddress(),
      nameTaken: (name) => this.names.has(name),
      reportError: (address, what, error) => this.hookError(address, what, error),
    };
    this.root = new Supervisor(
      {
        strategy: options.root?.strategy ?? 'one_for_one',
        intensity: options.root?.intensity ?? { maxRestarts: 10, withinMs: 1000 },
      },
      factory,
      onFatal,
    );
    this.root.start();
  }

  /** The root supervisor: every actor and supervisor of this system hangs under it. */
  get rootSupervisor(): SupervisorRef {
    return this.root;
  }

  /** Messages dead-lettered so far. */
  get deadLetterCount(): number {
    return this.deadLetters;
  }

  /**
   * Starts an actor under the root supervisor and returns its ref at once; messages sent before
   * its `start` finishes are queued.
   *
   * @example
   * const ref = system.spawn(counter, { name: 'counter' });
   * ref.tell({ type: 'add', by: 2 });
   * const n = await ref.ask({ type: 'get' });
   */
  spawn<M extends Message, S, R extends ReplyMap>(
    definition: ActorDefinition<M, S, R>,
    options: SpawnOptions = {},
  ): ActorRef<M, R> {
    if (options.name !== undefined && this.names.has(options.name))
      throw new ActorNameTakenError(options.name);
    const id = options.name ?? `actor-${this.nextId + 1}`;
    const spec: ActorChildSpec = {
      id,
      actor: definition,
      restart: options.restart ?? 'permanent',
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.mailbox !== undefined ? { mailbox: options.mailbox } : {}),
      ...(options.placement !== undefined ? { placement: options.placement } : {}),
    };
    return this.root.startChild({ ...spec, actor: definition });
  }

  /** Starts a supervisor (and its static children) under the root supervisor. */
  supervise(spec: SupervisorSpec, options: SuperviseOptions = {}): SupervisorRef {
    return this.root.startSupervisor({
      id: options.id ?? `supervisor-${this.nextId + 1}`,
      supervisor: spec,
      restart: options.restart ?? 'permanent',
    });
  }

  /** The actor registered under `name`; the caller states its message and reply types. */
  lookup<M extends Message = Message, R extends ReplyMap = ReplyMap>(
    name: string,
  ): ActorRef<M, R> | undefined {
    return this.names.get(name) as ActorRef<M, R> | undefined;
  }

  /** Resolves when `ref` terminates for good. */
  terminated(ref: { watch(listener: (notice: DeathNotice) => void): () => void }): Promise<DeathNotice> {
    return new Promise((resolve) => {
      ref.watch(resolve);
    });
  }

  /** Stops a child of the root supervisor (spawned with {@link spawn} or {@link supervise}) by id or name. */
  stop(id: string): Promise<void> {
    return this.root.terminateChild(id);
  }

  /**
   * Distributed mode: pings the cluster now and returns the ids of live nodes (this one included).
   * @throws {PlacementUnavailableError} when not in distributed mode.
   */
  async clusterNodes(): Promise<string[]> {
    const cluster = this.placements.cluster;
    if (cluster === undefined)
      throw new PlacementUnavailableError('not in distributed mode (supervisor_mode: distributed)');
    return cluster.refreshNodes();
  }

  /**
   * Distributed mode: the state of this node's NATS link (connected, reconnects, malformed
   * messages dropped, bytes buffered during an outage).
   * @throws {PlacementUnavailableError} when not in distributed mode.
   */
  clusterStats(): ClusterStats {
    const cluster = this.placements.cluster;
    if (cluster === undefined)
      throw new PlacementUnavailableError('not in distributed mode (supervisor_mode: distributed)');
    return cluster.stats();
  }

  /**
   * Distributed mode: this node's topic relay, which carries `app.publish` (`@zephyr/server`) to
   * the WebSocket subscribers of every other node over NATS: `app.relayPublishes(system.topicRelay())`.
   * @throws {PlacementUnavailableError} when not in distributed mode.
   */
  topicRelay(): TopicRelay {
    const cluster = this.placements.cluster;
    if (cluster === undefined)
      throw new PlacementUnavailableError('not in distributed mode (supervisor_mode: distributed)');
    return cluster.topicRelay();
  }

  /** Subscribes to dead letters (messages to stopped actors, dropped by overflow, or that crashed their actor). */
  onDeadLetter(listener: (letter: DeadLetter) => void): () => void {
    this.deadLetterListeners.add(listener);
    return () => this.deadLetterListeners.delete(listener);
  }

  /**
   * Stops every actor (children before parents, last started first), then threads and cluster
   * links. It has a deadline: if actors are not stopped within `shutdownTimeoutMs` + 1 s (a
   * worker thread stuck in a CPU-bound handler, a node that never answers), it says so on stderr
   * and closes threads and links anyway — terminating a stuck worker.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const deadlineMs = this.shutdownTimeoutMs + 1000;
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      this.root.stop({ type: 'shutdown' }).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (!stopped)
      console.error(
        `[zephyr/runtime] shutdown: actors did not stop within ${deadlineMs} ms; closing threads and cluster links anyway`,
      );
    await this.placements.cluster?.close();
    await this.placements.thread?.close();
  }

  // --- CellHost and internals ---

  /** @internal */
  deadLetter(letter: DeadLetter): void {
    this.deadLetters++;
    for (const listener of this.deadLetterListeners) {
      // Called from inside actor run loops: a throwing listener must not break message handling.
      try {
        listener(letter);
      } catch (err) {
        this.hookError(letter.recipient, 'onDeadLetter listener', err);
      }
    }
  }

  /** @internal */
  hookError(address: string, hook: string, error: unknown): void {
    console.error(`[zephyr/runtime] ${hook} hook of ${address} threw`, error);
  }

  /** @internal */
  unregister(address: string, name: string | undefined): void {
    this.cells.delete(address);
    this.routes.delete(address);
    if (name !== undefined) {
      const current = this.names.get(name);
      if (current !== undefined && current.address === address) this.names.delete(name);
    }
  }

  /** @internal a fresh address in this process. */
  newAddress(): string {
    return `${this.nodeId}/${++this.nextId}`;
  }

  /** @internal the local cell at `address`, for routers. */
  localCell(address: string): ActorCell | undefined {
    return this.cells.get(address);
  }

  /** @internal a ref for `address` that routes from this thread (for decoded refs and incoming messages). */
  resolveRef(address: string): RoutableRef {
    const local = this.cells.get(address);
    if (local !== undefined) return local.ref;
    const route = this.routes.get(address) ?? this.fallbackRoute?.(address);
    if (route !== undefined) return route;
    return new UnreachableRef(address, this.deadlines, (message) =>
      this.deadLetter({ recipient: address, message, reason: 'unreachable' }),
    );
  }

  /** @internal delivers a message that arrived from another thread or node; junk is dead-lettered. */
  deliver(address: string, msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void {
    if (!isMessage(msg)) {
      this.deadLetter({ recipient: address, message: msg, reason: 'malformed' });
      reply?.reject(new InvalidArgumentError('a message must be an object with a string "type"'));
      return;
    }
    const local = this.cells.get(address);
    if (local !== undefined) local.deliver(msg, reply, headers);
    else this.resolveRef(address).deliver(msg, reply, headers);
  }

  /** @internal records where a remotely hosted actor can be reached. */
  addRoute(ref: RoutableRef): void {
    this.routes.set(ref.address, ref);
  }

  /** @internal */
  removeRoute(address: string): void {
    this.routes.delete(address);
  }

  /** @internal registers `name` for `ref`, failing if taken. */
  registerName(name: string, ref: ActorRef): void {
    if (this.names.has(name)) throw new ActorNameTakenError(name);
    this.names.set(name, ref);
  }

  /** @internal spawns a cell in this thread with no supervisor bookkeeping (worker threads, cluster nodes). */
  createCell(spec: ActorChildSpec, parent: ChildParent | null, address: string): ActorCell {
    const cell = new ActorCell(this, spec.actor, address, spec.name, spec.mailbox);
    cell.parent = parent;
    this.cells.set(address, cell);
    return cell;
  }

  private createActor(
    spec: ActorChildSpec,
    parent: ChildParent,
  ): { child: SupervisedChild; handle: ActorRef } {
    if (this.closed) throw new InvalidArgumentError('the actor system is shut down');
    if (spec.name !== undefined && this.names.has(spec.name)) throw new ActorNameTakenError(spec.name);
    const placement = this.resolvePlacement(spec);
    const address = this.newAddress();
    let made: { child: SupervisedChild; handle: ActorRef };
    if (placement === 'local') {
      const cell = this.createCell(spec, parent, address);
      made = { child: cell, handle: cell.ref };
    } else {
      const remote = placement === 'thread' ? this.placements.thread : this.placements.cluster;
      if (remote === undefined)
        throw new PlacementUnavailableError(`no ${placement} placement is configured`);
      made = remote.createActor(spec, parent, address);
    }
    if (spec.name !== undefined) this.registerName(spec.name, made.handle);
    return made;
  }

  private resolvePlacement(spec: ActorChildSpec): 'local' | 'thread' | 'cluster' {
    const placement = spec.placement ?? 'auto';
    if (placement === 'local' || placement === 'thread' || placement === 'cluster') {
      if (placement !== 'local' && spec.actor.kind === undefined) {
        throw new InvalidArgumentError(
          `child "${spec.id}" needs a definition with a kind to be placed on a ${placement}`,
        );
      }
      return placement;
    }
    if (placement !== 'auto') throw new InvalidArgumentError(`unknown placement ${String(placement)}`);
    if (spec.actor.kind === undefined) return 'local';
    if (this.placements.cluster !== undefined) return 'cluster';
    if (this.placements.thread !== undefined) return 'thread';
    return 'local';
  }
}
