import { Worker } from 'node:worker_threads';
import type { ActorSystem } from '../actor/actor-system.js';
import type { DeathNotice, ExitReason } from '../actor/message.js';
import type { MessageHeaders } from '../actor/tracing-channels.js';
import { WorkerExitedError } from '../errors.js';
import type { ReplyTo } from '../mailbox/mailbox.js';
import { PortTransport } from './frame-transport.js';
import { Link, type LinkHandler } from './link.js';
import type { ThreadActorChild } from './thread-actor.js';

/** What the worker entry receives as `workerData`. */
export interface WorkerBoot {
  readonly nodeId: string;
  readonly index: number;
  readonly modules: readonly string[];
  readonly askTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
}

/** One worker thread as seen from the main thread: the thread, its link, the actors placed on it. */
export class WorkerHost implements LinkHandler {
  readonly worker: Worker;
  readonly link: Link;
  readonly children = new Map<string, ThreadActorChild>();
  alive = true;
  /** Resolves once the worker has loaded its modules (or rejects if it fails to). */
  readonly ready: Promise<void>;

  constructor(
    entry: URL,
    boot: WorkerBoot,
    private readonly system: ActorSystem,
    onExit: (host: WorkerHost, error: WorkerExitedError) => void,
  ) {
    this.worker = new Worker(entry, { workerData: boot });
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
      const error = new WorkerExitedError(this.worker.threadId, detail);
      readyReject(error);
      this.link.failAll(error);
      onExit(this, error);
      for (const child of this.children.values()) child.workerDied(error);
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

  async terminate(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }
}
