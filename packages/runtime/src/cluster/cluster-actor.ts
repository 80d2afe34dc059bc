import type { ActorSystem } from '../actor/actor-system.js';
import { DeathWatch } from '../actor/death-watch.js';
import { type DeathNotice, type ExitReason, isMessage, type Message } from '../actor/message.js';
import { RemoteRefBase } from '../actor/routable-ref.js';
import { type MessageHeaders, sendChannel, traceSend } from '../actor/tracing-channels.js';
import { ActorStoppedError, InvalidArgumentError, MailboxFullError, NodeDownError } from '../errors.js';
import type { ReplyTo } from '../mailbox/mailbox.js';
import { RingQueue } from '../mailbox/ring-queue.js';
import type { ActorChildSpec } from '../supervisor/child-spec.js';
import type { ChildParent, SupervisedChild } from '../supervisor/supervised-child.js';
import type { ClusterLink } from './cluster-link.js';

/**
 * The supervising node's side of an actor placed on a cluster node. It starts the actor on a live
 * node with a control request, and fails (so its supervisor decides) when that node goes down.
 * Its subject does not depend on the host, so refs held anywhere survive the move.
 */
export class ClusterActorChild implements SupervisedChild {
  readonly ref: ClusterRef;
  /** The node hosting the current incarnation, or null between placements. */
  host: string | null = null;
  private readonly watch = new DeathWatch();
  private exit: ExitReason | null = null;
  /** Until the host confirms the spawn, messages wait here (nobody subscribes yet); bounded like the mailbox. */
  private placing = true;
  private readonly waiting = new RingQueue<[unknown, ReplyTo | undefined, MessageHeaders | undefined]>(16);
  private readonly capacity: number;

  constructor(
    private readonly system: ActorSystem,
    private readonly link: ClusterLink,
    private readonly spec: ActorChildSpec,
    private readonly parent: ChildParent,
    readonly address: string,
  ) {
    this.ref = new ClusterRef(address, link, system, this);
    this.capacity = spec.mailbox?.capacity ?? spec.actor.mailbox?.capacity ?? Number.POSITIVE_INFINITY;
  }

  /** Queues a message while the actor is being placed; false when it can go out now. */
  hold(msg: unknown, reply: ReplyTo | undefined, headers: MessageHeaders | undefined): boolean {
    if (!this.placing) return false;
    if (this.waiting.size >= this.capacity) {
      const full = new MailboxFullError(this.address, this.capacity);
      if (reply === undefined) throw full;
      reply.reject(full);
      return true;
    }
    this.waiting.push([msg, reply, headers]);
    return true;
  }

  private flushWaiting(): void {
    for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) {
      this.ref.deliver(item[0], item[1], item[2]);
    }
  }

  start(): void {
    void this.place();
  }

  private async place(): Promise<void> {
    let node: string;
    this.placing = true;
    try {
      node = this.link.pickNode();
      this.host = node;
      this.link.hosted.set(this.address, this);
      await this.link.control(node, 'spawn', this.address, [this.spec.actor.kind, this.spec.mailbox ?? null]);
      this.placing = false;
      this.flushWaiting();
    } catch (error) {
      if (this.exit === null) this.parent.childExited(this, { type: 'error', error });
    }
  }

  exited(reason: ExitReason): void {
    this.parent.childExited(this, reason);
  }

  nodeDown(nodeId: string): void {
    if (this.host !== nodeId) return;
    this.host = null;
    this.parent.childExited(this, { type: 'error', error: new NodeDownError(nodeId) });
  }

  addWatcher(listener: (notice: DeathNotice) => void): () => void {
    return this.watch.add(listener, this.address, this.exit);
  }

  async halt(reason: unknown): Promise<void> {
    const host = this.host;
    if (host === null || !this.link.isLive(host)) return;
    await this.link.control(host, 'halt', this.address, reason).catch(() => {});
  }

  async resume(delayMs: number): Promise<void> {
    if (delayMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
    if (this.exit !== null) return;
    const host = this.host;
    if (host !== null && this.link.isLive(host)) {
      try {
        await this.link.control(host, 'resume', this.address, 0);
        return;
      } catch {
        // The host lost the actor (e.g. it restarted): place it afresh.
      }
    }
    await this.place();
  }

  async stop(reason: ExitReason): Promise<void> {
    if (this.exit !== null) return;
    this.exit = reason;
    const host = this.host;
    this.host = null;
    if (host !== null && this.link.isLive(host))
      await this.link.control(host, 'stop', this.address, reason).catch(() => {});
    this.link.hosted.delete(this.address);
    this.placing = false;
    for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) {
      this.system.deadLetter({ recipient: this.address, message: item[0], reason: 'stopped' });
      item[1]?.reject(new ActorStoppedError(this.address));
    }
    this.system.unregister(this.address, this.spec.name);
    this.watch.notify(this.address, reason, (err) =>
      this.system.hookError(this.address, 'watch listener', err),
    );
  }

  /** @internal whether messages can still be sent. */
  get stopped(): boolean {
    return this.exit !== null;
  }
}

/**
 * Ref of an actor in another process: tells are NATS publishes, asks NATS requests. Delivery is
 * at-most-once: a tell published while no node hosts the actor (between a node's death and the
 * restart) is lost; an ask in that window is rejected, so askers always learn about it.
 */
export class ClusterRef extends RemoteRefBase {
  constructor(
    address: string,
    private readonly link: ClusterLink,
    system: ActorSystem,
    private readonly child: ClusterActorChild | null,
  ) {
    super(address, system.deadlines, system.defaultAskTimeoutMs);
  }

  protected readonly placement = 'cluster';

  /**
   * Sends at once: a message that cannot be encoded throws `InvalidArgumentError`, and one that
   * cannot be buffered during a NATS outage `ClusterDisconnectedError`, here at the send site.
   */
  override tell(msg: Message): void {
    if (!isMessage(msg)) throw new InvalidArgumentError('a message must be an object with a string "type"');
    if (sendChannel.hasSubscribers)
      traceSend(this.address, msg, this.placement, false, (h) => this.tellWith(msg, h));
    else this.tellWith(msg, undefined);
  }

  private tellWith(msg: Message, headers: MessageHeaders | undefined): void {
    if (this.stoppedHere(msg, undefined)) return;
    if (this.child?.hold(this.link.checkSendable(msg), undefined, headers) === true) return;
    this.link.publish(this.address, msg, headers);
  }

  deliver(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void {
    if (this.stoppedHere(msg, reply)) return;
    try {
      if (this.child?.hold(msg, reply, headers) === true) return;
    } catch {
      this.link.system.deadLetter({ recipient: this.address, message: msg, reason: 'mailbox-full' });
      return;
    }
    if (reply !== undefined) {
      this.link.request(this.address, msg, reply, headers);
      return;
    }
    // Forwarded from elsewhere (a thread, a timer): nobody to throw to, so it is dead-lettered.
    try {
      this.link.publish(this.address, msg, headers);
    } catch {
      this.link.system.deadLetter({ recipient: this.address, message: msg, reason: 'unreachable' });
    }
  }

  private stoppedHere(msg: unknown, reply: ReplyTo | undefined): boolean {
    if (this.child?.stopped !== true) return false;
    this.link.system.deadLetter({ recipient: this.address, message: msg, reason: 'stopped' });
    reply?.reject(new ActorStoppedError(this.address));
    return true;
  }

  watch(listener: (notice: DeathNotice) => void): () => void {
    if (this.child !== null) return this.child.addWatcher(listener);
    // Watching an actor supervised by another node: only its node going down is observable here.
    return this.link.watchNode(this.address, listener);
  }
}
