import type { ActorSystem } from '../actor/actor-system.js';
import { DeathWatch } from '../actor/death-watch.js';
import type { DeathNotice, ExitReason } from '../actor/message.js';
import { RemoteRefBase } from '../actor/routable-ref.js';
import type { MessageHeaders } from '../actor/tracing-channels.js';
import { ActorStoppedError, MailboxFullError } from '../errors.js';
import type { ReplyTo } from '../mailbox/mailbox.js';
import { RingQueue } from '../mailbox/ring-queue.js';
import type { ActorChildSpec } from '../supervisor/child-spec.js';
import type { ChildParent, SupervisedChild } from '../supervisor/supervised-child.js';
import type { WorkerHost } from './worker-host.js';

/** Picks a live worker for an actor. */
export interface WorkerPicker {
  pick(): WorkerHost;
}

/**
 * The main thread's side of an actor placed on a worker thread: the supervisor drives it like a
 * local actor, and it forwards lifecycle operations and messages over the worker's link. When the
 * worker dies it reports a failure; the supervisor's restart places the actor on a live worker.
 */
export class ThreadActorChild implements SupervisedChild {
  readonly ref: ThreadActorRef;
  private worker: WorkerHost | null = null;
  /** Messages sent while the actor is between workers; bounded like its mailbox. */
  private readonly waiting = new RingQueue<[unknown, ReplyTo | undefined, MessageHeaders | undefined]>(16);
  private readonly watch = new DeathWatch();
  private exit: ExitReason | null = null;
  private readonly capacity: number;
  /** This actor's slot on its worker's watchdog clock (0: no handler deadline). */
  private slot = 0;

  constructor(
    private readonly system: ActorSystem,
    private readonly picker: WorkerPicker,
    private readonly spec: ActorChildSpec,
    private readonly parent: ChildParent,
    readonly address: string,
  ) {
    this.ref = new ThreadActorRef(this, system);
    this.capacity = spec.mailbox?.capacity ?? spec.actor.mailbox?.capacity ?? Number.POSITIVE_INFINITY;
  }

  deliver(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void {
    if (this.exit !== null) {
      this.system.deadLetter({ recipient: this.address, message: msg, reason: 'stopped' });
      reply?.reject(new ActorStoppedError(this.address));
      return;
    }
    const worker = this.worker;
    if (worker === null) {
      if (this.waiting.size >= this.capacity) {
        this.system.deadLetter({ recipient: this.address, message: msg, reason: 'mailbox-full' });
        reply?.reject(new MailboxFullError(this.address, this.capacity));
        return;
      }
      this.waiting.push([msg, reply, headers]);
      return;
    }
    if (reply === undefined) worker.link.tell(this.address, msg, headers);
    else worker.link.ask(this.address, msg, reply, headers);
  }

  addWatcher(listener: (notice: DeathNotice) => void): () => void {
    return this.watch.add(listener, this.address, this.exit);
  }

  start(): void {
    this.place();
  }

  private place(): void {
    let worker: WorkerHost;
    try {
      worker = this.picker.pick();
    } catch (err) {
      queueMicrotask(() => this.parent.childExited(this, { type: 'error', error: err }));
      return;
    }
    this.worker = worker;
    worker.children.set(this.address, this);
    const mailbox = this.spec.mailbox ?? null;
    this.slot = this.handlerDeadlineMs === undefined ? 0 : worker.assignSlot(this);
    worker.link
      .control('spawn', this.address, [this.spec.actor.kind, mailbox, this.slot])
      .catch((error: unknown) => {
        if (this.worker === worker) this.parent.childExited(this, { type: 'error', error });
      });
    // The spawn goes out first in the same frame, so these arrive after the actor exists.
    for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) {
      try {
        this.deliver(item[0], item[1], item[2]);
      } catch (error) {
        // A message that cannot cross threads; its sender is long gone, so it is dead-lettered.
        this.system.deadLetter({ recipient: this.address, message: item[0], reason: 'unreachable' });
        item[1]?.reject(error);
      }
    }
  }

  /** The definition's handler deadline, enforced by the worker's watchdog. */
  get handlerDeadlineMs(): number | undefined {
    return this.spec.actor.handlerDeadlineMs;
  }

  /** The actor on the worker reported an exit. */
  exited(reason: ExitReason): void {
    this.parent.childExited(this, reason);
  }

  /** The worker thread died: the actor is gone with it (asks in flight were rejected by the link). */
  workerDied(error: unknown): void {
    this.worker = null;
    this.parent.childExited(this, { type: 'error', error });
  }

  async halt(reason: unknown): Promise<void> {
    const worker = this.worker;
    if (worker === null || !worker.alive) return;
    await worker.link.control('halt', this.address, reason).catch(() => {});
  }

  async resume(delayMs: number): Promise<void> {
    if (delayMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
    if (this.exit !== null) return;
    const worker = this.worker;
    if (worker?.alive === true) {
      await worker.link.control('resume', this.address, 0).catch((error: unknown) => {
        this.parent.childExited(this, { type: 'error', error });
      });
      return;
    }
    this.place();
  }

  async stop(reason: ExitReason): Promise<void> {
    if (this.exit !== null) return;
    this.exit = reason;
    const worker = this.worker;
    this.worker = null;
    if (worker?.alive === true) await worker.link.control('stop', this.address, reason).catch(() => {});
    worker?.children.delete(this.address);
    worker?.releaseSlot(this.slot);
    for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) {
      this.system.deadLetter({ recipient: this.address, message: item[0], reason: 'stopped' });
      item[1]?.reject(new ActorStoppedError(this.address));
    }
    this.system.unregister(this.address, this.spec.name);
    this.watch.notify(this.address, reason, (err) =>
      this.system.hookError(this.address, 'watch listener', err),
    );
  }
}

/** Ref of an actor on a worker thread, held in the main thread. */
export class ThreadActorRef extends RemoteRefBase {
  constructor(
    private readonly child: ThreadActorChild,
    system: ActorSystem,
  ) {
    super(child.address, system.deadlines, system.defaultAskTimeoutMs);
  }

  protected readonly placement = 'thread';

  deliver(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void {
    this.child.deliver(msg, reply, headers);
  }

  watch(listener: (notice: DeathNotice) => void): () => void {
    return this.child.addWatcher(listener);
  }
}
