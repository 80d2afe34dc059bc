import { type ResourceLimits, Worker } from 'node:worker_threads';
import type { ActorSystem } from '../actor/actor-system.js';
import type { DeathNotice, ExitReason } from '../actor/message.js';
import type { MessageHeaders } from '../actor/tracing-channels.js';
import type { RuntimeConfig } from '../config/runtime-config-schema.js';
import { HandlerDeadlineError, WorkerExitedError } from '../errors.js';
import type { ReplyTo } from '../mailbox/mailbox.js';
import { PortTransport } from './frame-transport.js';
import { overrunSlot } from './handler-watchdog.js';
import { Link, type LinkHandler } from './link.js';
import type { ThreadActorChild } from './thread-actor.js';

/** What the worker entry receives as `workerData`. */
export interface WorkerBoot {
  readonly nodeId: string;
  readonly index: number;
  readonly modules: readonly string[];
  /**
   * The thread's `runtime:` config, from the main thread's validated one: plain data, so the
   * thread never loads zod to parse its own (3 MB of heap in every thread, for nothing).
   */
  readonly config: RuntimeConfig;
  readonly askTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** The handler watchdog's shared clock (see handler-watchdog.ts). */
  readonly watchdog: SharedArrayBuffer;
  /** Nice steps below the process the thread puts itself at first (see thread-options.ts). */
  readonly niceIncrement: number;
}

/** One worker thread as seen from the main thread: the thread, its link, the actors placed on it. */
export class WorkerHost implements LinkHandler {
  readonly worker: Worker;
  readonly link: Link;
  readonly children = new Map<string, ThreadActorChild>();
  alive = true;
  /** Actors with a handler deadline, by the slot the worker reports on the watchdog clock. */
  private readonly slots = new Map<number, ThreadActorChild>();
  private nextSlot = 1;
  /** The actor whose overrun got this worker terminated, with its error. */
  private overrun: { child: ThreadActorChild; error: HandlerDeadlineError } | null = null;
  /** Resolves once the worker has loaded its modules (or rejects if it fails to). */
  readonly ready: Promise<void>;

  constructor(
    entry: URL,
    private readonly boot: WorkerBoot,
    private readonly system: ActorSystem,
    resourceLimits: ResourceLimits,
    onExit: (host: WorkerHost, error: WorkerExitedError) => void,
  ) {
    this.worker = new Worker(entry, { workerData: boot, resourceLimits });
    // After exit `worker.threadId` reads -1: keep the id the thread had.
    const threadId = this.worker.threadId;
    this.link = new Link(new PortTransport(this.worker), system, this, system.deadlines);
    let readyResolve: () => void = () => {};
    let readyReject: (err: unknown) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    // The first control reply ('ready') comes from the entry once modules are loaded.
    this.link.control('ready', '', null).then(() => readyResolve(), readyReject);
    let lastError: unknown;
    this.worker.on('error', (err) => {
      lastError = err;
    });
    this.worker.on('exit', (code) => {
      this.alive = false;
      const detail = lastError instanceof Error ? lastError.message : `exit code ${code}`;
      const error = new WorkerExitedError(threadId, detail);
      readyReject(error);
      this.link.failAll(error);
      onExit(this, error);
      const overrun = this.overrun;
      for (const child of this.children.values())
        child.workerDied(child === overrun?.child ? overrun.error : error);
      this.children.clear();
    });
  }

  deliver(address: string, msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void {
    this.system.deliver(address, msg, reply, headers);
  }

  control(name: string): never {
    throw new Error(`the main thread does not accept control "${name}"`);
  }

  exited(address: string, reason: ExitReason): void {
    this.children.get(address)?.exited(reason);
  }

  deadLetter(letter: Parameters<ActorSystem['deadLetter']>[0]): void {
    this.system.deadLetter(letter);
  }

  watch(address: string, listener: (notice: DeathNotice) => void): () => void {
    return this.system.resolveRef(address).watch(listener);
  }

  /** A slot on the watchdog clock for an actor with a handler deadline. */
  assignSlot(child: ThreadActorChild): number {
    const slot = this.nextSlot++;
    this.slots.set(slot, child);
    return slot;
  }

  releaseSlot(slot: number): void {
    this.slots.delete(slot);
  }

  /** Terminates the worker if a handler has overrun its deadline (called by the pool's timer). */
  checkWatchdog(now: number): void {
    if (!this.alive || this.overrun !== null) return;
    const slot = overrunSlot(this.boot.watchdog, now);
    if (slot < 0) return;
    const child = this.slots.get(slot);
    if (child === undefined) return;
    const deadline = child.handlerDeadlineMs ?? 0;
    this.overrun = { child, error: new HandlerDeadlineError(child.address, deadline) };
    void this.worker.terminate();
  }

  async terminate(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }
}
