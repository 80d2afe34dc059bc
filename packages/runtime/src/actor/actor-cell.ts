import { ActorFailedError, ActorStoppedError, InvalidArgumentError, MailboxFullError } from '../errors.js';
import { Mailbox, type MailboxOptions, Offer, type ReplyTo } from '../mailbox/mailbox.js';
import { RingQueue } from '../mailbox/ring-queue.js';
import type { ChildParent, SupervisedChild } from '../supervisor/supervised-child.js';
import type { ActorContext, AnyActorDefinition } from './actor-definition.js';
import type { ActorRef, AskOptions } from './actor-ref.js';
import { ActorTimers } from './actor-timers.js';
import { DeathWatch } from './death-watch.js';
import type { Dispatcher, Runnable } from './dispatcher.js';
import { type DeadLetter, type DeathNotice, type ExitReason, isMessage, type Message } from './message.js';
import type { AskDeadlines } from './pending-ask.js';
import { REF_BRAND, type RoutableRef } from './routable-ref.js';
import {
  type MessageHeaders,
  receiveChannel,
  sendChannel,
  traceReceive,
  traceSend,
} from './tracing-channels.js';

/** What a cell needs from the system that hosts it. */
export interface CellHost {
  readonly dispatcher: Dispatcher;
  readonly deadlines: AskDeadlines;
  readonly defaultAskTimeoutMs: number;
  /** Longest a stop or restart waits for an in-flight async handler. */
  readonly shutdownTimeoutMs: number;
  deadLetter(letter: DeadLetter): void;
  /** A lifecycle hook threw where nobody can be told (e.g. `stop`): reported, never swallowed. */
  hookError(address: string, hook: string, error: unknown): void;
  unregister(address: string, name: string | undefined): void;
}

const STARTING = 0;
const RUNNING = 1;
const SUSPENDED = 2;
const FAILED = 3;
const HALTED = 4;
const STOPPED = 5;

const STASHED = 1;
const STOP_REQUESTED = 2;

/** Marks a mailbox entry as a death notice for the `terminated` hook (rides in the reply slot). */
const NOTICE: ReplyTo = {
  resolve() {},
  reject() {},
};

/**
 * One actor: its mailbox, state and run loop. The cell outlives restarts (same mailbox, same ref);
 * only `state` is rebuilt. Messages are handled one at a time: a handler returning a promise
 * suspends the cell until it settles.
 */
export class ActorCell implements Runnable, SupervisedChild {
  readonly mailbox: Mailbox;
  readonly ref: LocalActorRef;
  readonly timers: ActorTimers;
  parent: ChildParent | null = null;
  private status = STARTING;
  private state: unknown = undefined;
  private hasState = false;
  private scheduled = false;
  /** STASHED and STOP_REQUESTED bits, set by ctx.stash() and ctx.stop() during a handler. */
  private interrupt = 0;
  /** Whether the message being handled is a death notice (those cannot be stashed). */
  private handlingNotice = false;
  private inflight: Promise<unknown> | null = null;
  private stashed: RingQueue<[unknown, ReplyTo | undefined]> | null = null;
  /** `backpressure` mailboxes: senders waiting for space, with what to call once queued. */
  private waiting: RingQueue<
    [unknown, ReplyTo | undefined, ReplyTo | undefined, MessageHeaders | undefined]
  > | null = null;
  private readonly watching = new Map<string, () => void>();
  private readonly watch = new DeathWatch();
  private exit: ExitReason | null = null;
  /** True while a message from a timer, thread or node is being queued (no sender to throw to). */
  private delivering = false;
  /** Bumped by every halt so a resume scheduled for an older incarnation does nothing. */
  private incarnation = 0;
  private readonly ctx: ActorContext;

  constructor(
    private readonly host: CellHost,
    private readonly def: AnyActorDefinition,
    readonly address: string,
    readonly name: string | undefined,
    mailbox: MailboxOptions | undefined,
  ) {
    this.mailbox = new Mailbox(mailbox ?? def.mailbox ?? {});
    this.ref = new LocalActorRef(this);
    this.timers = new ActorTimers((msg) => this.deliverInternal(msg));
    this.ctx = {
      self: this.ref,
      name,
      timers: this.timers,
      stash: () => this.stash(),
      unstashAll: () => this.unstashAll(),
      watch: (ref) => this.watchRef(ref),
      unwatch: (ref) => this.unwatchRef(ref),
      stop: () => {
        this.interrupt |= STOP_REQUESTED;
      },
    };
  }

  /** Messages queued and not yet handled (what the devtools dashboard shows per actor). */
  get mailboxDepth(): number {
    return this.mailbox.size;
  }

  /** Whether the cell has terminated for good. */
  get stopped(): boolean {
    return this.status === STOPPED;
  }

  tell(msg: unknown): void {
    if (!isMessage(msg)) throw new InvalidArgumentError('a message must be an object with a string "type"');
    if (sendChannel.hasSubscribers)
      traceSend(this.address, msg, 'local', false, (h) => this.enqueue(msg, undefined, h));
    else this.enqueue(msg, undefined);
  }

  ask(msg: unknown, options: AskOptions | undefined): Promise<unknown> {
    if (!isMessage(msg)) {
      return Promise.reject(new InvalidArgumentError('a message must be an object with a string "type"'));
    }
    const timeoutMs = options?.timeoutMs ?? this.host.defaultAskTimeoutMs;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      return Promise.reject(
        new InvalidArgumentError(`ask timeoutMs must be a finite number > 0, got ${timeoutMs}`),
      );
    }
    const pending = this.host.deadlines.create(this.address, timeoutMs);
    if (sendChannel.hasSubscribers)
      traceSend(this.address, msg, 'local', true, (h) => this.enqueue(msg, pending, h));
    else this.enqueue(msg, pending);
    return pending.promise;
  }

  /** Queues a message (tell when `reply` is undefined). Used by refs and by the thread/cluster routers. */
  enqueue(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void {
    if (this.status === STOPPED) {
      this.host.deadLetter({ recipient: this.address, message: msg, reason: 'stopped' });
      reply?.reject(new ActorStoppedError(this.address));
      return;
    }
    const mb = this.mailbox;
    // Fast path: room in the mailbox (always, when unbounded).
    if (mb.size < mb.capacity) mb.push(msg, reply, headers);
    else this.overflowed(mb.offer(msg, reply, headers), msg, reply, headers);
    if (!this.scheduled && this.status === RUNNING) {
      this.scheduled = true;
      this.host.dispatcher.schedule(this);
    }
  }

  /**
   * Sends and resolves once the message is queued: at once, unless the mailbox is full under
   * `backpressure`, in which case the sender waits for space.
   */
  send(msg: unknown): Promise<void> {
    if (!isMessage(msg)) {
      return Promise.reject(new InvalidArgumentError('a message must be an object with a string "type"'));
    }
    if (!sendChannel.hasSubscribers) return this.sendWithHeaders(msg, undefined);
    let sent: Promise<void> | undefined;
    traceSend(this.address, msg, 'local', false, (h) => {
      sent = this.sendWithHeaders(msg, h);
    });
    return sent!;
  }

  private sendWithHeaders(msg: unknown, headers: MessageHeaders | undefined): Promise<void> {
    const mb = this.mailbox;
    if (this.status === STOPPED || mb.size < mb.capacity || mb.overflow !== 'backpressure') {
      try {
        this.enqueue(msg, undefined, headers);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.park(msg, undefined, { resolve: () => resolve(), reject }, headers);
    });
  }

  /** A sender waits for space (`backpressure`); past `capacity` waiting senders it is refused. */
  private park(
    msg: unknown,
    reply: ReplyTo | undefined,
    queued: ReplyTo | undefined,
    headers: MessageHeaders | undefined,
  ): void {
    this.waiting ??= new RingQueue(16);
    if (this.waiting.size >= this.mailbox.capacity) {
      const full = new MailboxFullError(this.address, this.mailbox.capacity);
      this.host.deadLetter({ recipient: this.address, message: msg, reason: 'mailbox-full' });
      reply?.reject(full);
      queued?.reject(full);
      return;
    }
    this.waiting.push([msg, reply, queued, headers]);
  }

  /** Moves waiting senders' messages into the mailbox as it drains. */
  private admitWaiting(): void {
    const waiting = this.waiting!;
    const mb = this.mailbox;
    while (waiting.size > 0 && mb.size < mb.capacity) {
      const [msg, reply, queued, headers] = waiting.shift()!;
      mb.push(msg, reply, headers);
      queued?.resolve(undefined);
    }
  }

  private overflowed(
    offered: Offer,
    msg: unknown,
    reply: ReplyTo | undefined,
    headers: MessageHeaders | undefined,
  ): void {
    if (offered === Offer.Blocked) {
      // An ask waits anyway; a tell cannot (use send()), except from timers and other threads,
      // which are parked like asks (there is no sender to throw to).
      if (reply === undefined && !this.delivering)
        throw new MailboxFullError(this.address, this.mailbox.capacity);
      this.park(msg, reply, undefined, headers);
      return;
    }
    const full = new MailboxFullError(this.address, this.mailbox.capacity);
    if (offered === Offer.Rejected) {
      if (reply === undefined) throw full;
      reply.reject(full);
      return;
    }
    if (offered === Offer.DroppedNewest) {
      this.host.deadLetter({ recipient: this.address, message: msg, reason: 'dropped-newest' });
      reply?.reject(full);
      return;
    }
    this.host.deadLetter({
      recipient: this.address,
      message: this.mailbox.evictedMsg,
      reason: 'dropped-oldest',
    });
    this.mailbox.evictedReply?.reject(full);
    this.mailbox.evictedMsg = undefined;
    this.mailbox.evictedReply = undefined;
  }

  /**
   * Messages from timers, other threads and nodes: a full mailbox dead-letters them (no sender to
   * throw to). An idle actor handles an ask at once when its dispatcher allows (`enterNow`): the
   * request never enters the mailbox. Tells stay batched through the mailbox, where a burst of
   * them costs one dispatcher turn.
   */
  deliver(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void {
    if (
      reply !== undefined &&
      this.status === RUNNING &&
      !this.scheduled &&
      this.mailbox.size === 0 &&
      (this.waiting === null || this.waiting.size === 0) &&
      this.host.dispatcher.enterNow(this)
    ) {
      try {
        this.handle(msg, reply, headers);
      } finally {
        this.host.dispatcher.exitNow();
      }
      return;
    }
    this.delivering = true;
    try {
      this.enqueue(msg, reply, headers);
    } catch {
      this.host.deadLetter({ recipient: this.address, message: msg, reason: 'mailbox-full' });
    } finally {
      this.delivering = false;
    }
  }

  private deliverInternal(msg: Message): void {
    this.deliver(msg, undefined);
  }

  run(budget: number): boolean {
    const mb = this.mailbox;
    for (let n = 0; n < budget && mb.size > 0; n++) {
      if (this.status !== RUNNING) break;
      const msg = mb.shift();
      if (!this.handle(msg, mb.lastReply, mb.lastHeaders)) break;
    }
    if (this.waiting !== null && this.waiting.size > 0) this.admitWaiting();
    if (this.status === RUNNING && mb.size > 0) return true;
    this.scheduled = false;
    return false;
  }

  /**
   * Handles one message; false when the cell cannot go on to the next one now (it failed, is
   * waiting on the handler's promise, or stops). The message and its reply slot stay in locals,
   * never in fields of the cell: see `Dispatcher.enterNow` for why a store matters.
   */
  private handle(msg: unknown, reply: ReplyTo | undefined, headers: MessageHeaders | undefined): boolean {
    const def = this.def;
    const notice = reply === NOTICE;
    this.handlingNotice = notice;
    let result: unknown;
    try {
      result = notice
        ? def.terminated?.(this.state, msg as DeathNotice, this.ctx)
        : receiveChannel.hasSubscribers
          ? traceReceive(this.address, msg, headers, reply !== undefined, () =>
              def.receive(this.state, msg, this.ctx),
            )
          : def.receive(this.state, msg, this.ctx);
    } catch (err) {
      this.fail(err, msg, reply);
      return false;
    }
    // The common case, a tell handled synchronously: one combined check and on to the next.
    if (result === undefined && reply === undefined && this.interrupt === 0) return true;
    if (this.keepIfStashed(msg, reply)) return true;
    if (
      result !== undefined &&
      result !== null &&
      typeof (result as PromiseLike<unknown>).then === 'function'
    ) {
      this.suspend(result as PromiseLike<unknown>, msg, reply);
      return false;
    }
    if (reply !== undefined && !notice) reply.resolve(result);
    if ((this.interrupt & STOP_REQUESTED) !== 0) {
      this.exited({ type: 'normal' });
      return false;
    }
    return true;
  }

  /** Keeps the message its handler stashed (`ctx.stash()` only marks it); true when it did. */
  private keepIfStashed(msg: unknown, reply: ReplyTo | undefined): boolean {
    if ((this.interrupt & STASHED) === 0) return false;
    this.interrupt &= ~STASHED;
    this.stashed!.push([msg, reply]);
    return true;
  }

  private suspend(result: PromiseLike<unknown>, msg: unknown, reply: ReplyTo | undefined): void {
    this.status = SUSPENDED;
    this.inflight = Promise.resolve(result).then(
      (value) => {
        this.inflight = null;
        // Stashed after an await: kept for later, answered when it is handled again.
        if (!this.keepIfStashed(msg, reply) && reply !== undefined && reply !== NOTICE) reply.resolve(value);
        if (this.status !== SUSPENDED) return;
        this.status = RUNNING;
        if ((this.interrupt & STOP_REQUESTED) !== 0) this.exited({ type: 'normal' });
        else this.kick();
      },
      (err: unknown) => {
        this.inflight = null;
        if (this.status === SUSPENDED) this.fail(err, msg, reply);
        else if (reply !== undefined && reply !== NOTICE)
          reply.reject(new ActorFailedError(this.address, err));
      },
    );
  }

  private kick(): void {
    if (!this.scheduled && this.status === RUNNING && this.mailbox.size > 0) {
      this.scheduled = true;
      this.host.dispatcher.schedule(this);
    }
  }

  /**
   * The handler threw. The failing message is not retried (it would likely fail again): an asker
   * gets `ActorFailedError`, a told message goes to dead letters with reason `failed`. The rest of
   * the mailbox stays queued for the next incarnation.
   */
  private fail(err: unknown, msg: unknown, reply: ReplyTo | undefined): void {
    // A message that failed is not also kept for later.
    this.interrupt &= ~STASHED;
    if (reply === undefined) {
      this.host.deadLetter({ recipient: this.address, message: msg, reason: 'failed' });
    } else if (reply !== NOTICE) {
      reply.reject(new ActorFailedError(this.address, err));
    }
    this.exited({ type: 'error', error: err });
  }

  private exited(reason: ExitReason): void {
    this.status = FAILED;
    this.timers.cancelAll();
    if (this.parent !== null) this.parent.childExited(this, reason);
    else void this.stop(reason);
  }

  /** Marks the message being handled; `handle` (or the end of an async handler) keeps it. */
  private stash(): void {
    if (this.handlingNotice) throw new InvalidArgumentError('death notices cannot be stashed');
    if (this.stashed === null) this.stashed = new RingQueue(16);
    if (this.stashed.size >= this.mailbox.capacity)
      throw new MailboxFullError(`${this.address} (stash)`, this.mailbox.capacity);
    this.interrupt |= STASHED;
  }

  private unstashAll(): void {
    const stashed = this.stashed;
    if (stashed === null || stashed.size === 0) return;
    // Walk backwards so unshift leaves them in their original order ahead of newer messages.
    const items = stashed.drainAll();
    for (let i = items.length - 1; i >= 0; i--) {
      const [msg, reply] = items[i]!;
      this.mailbox.unshift(msg, reply);
    }
    this.kick();
  }

  private watchRef(ref: ActorRef<never> | ActorRef): void {
    if (this.watching.has(ref.address)) return;
    const cancel = ref.watch((notice) => {
      this.watching.delete(notice.address);
      if (this.status === STOPPED) return;
      this.mailbox.push(notice, NOTICE);
      this.kick();
    });
    this.watching.set(ref.address, cancel);
  }

  private unwatchRef(ref: ActorRef<never> | ActorRef): void {
    this.watching.get(ref.address)?.();
    this.watching.delete(ref.address);
  }

  private cancelWatches(): void {
    for (const cancel of this.watching.values()) cancel();
    this.watching.clear();
  }

  /** Registers a termination listener; fires at once if already stopped. */
  addWatcher(listener: (notice: DeathNotice) => void): () => void {
    return this.watch.add(listener, this.address, this.exit);
  }

  start(): void {
    this.status = STARTING;
    this.interrupt = 0;
    let started: unknown;
    try {
      started = this.def.start(this.ctx);
    } catch (err) {
      this.exited({ type: 'error', error: err });
      return;
    }
    if (
      started !== null &&
      typeof started === 'object' &&
      typeof (started as PromiseLike<unknown>).then === 'function'
    ) {
      Promise.resolve(started).then(
        (state) => this.started(state),
        (err: unknown) => {
          if (this.status === STARTING) this.exited({ type: 'error', error: err });
        },
      );
    } else {
      this.started(started);
    }
  }

  private started(state: unknown): void {
    if (this.status !== STARTING) return;
    this.state = state;
    this.hasState = true;
    this.status = RUNNING;
    this.kick();
  }

  private async settleInflight(): Promise<void> {
    const inflight = this.inflight;
    if (inflight === null) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      inflight.catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.host.shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  async halt(reason: unknown): Promise<void> {
    if (this.status === STOPPED) return;
    this.status = HALTED;
    this.incarnation++;
    await this.settleInflight();
    this.timers.cancelAll();
    this.cancelWatches();
    if (this.hasState && this.def.beforeRestart !== undefined) {
      try {
        await this.def.beforeRestart(this.state, reason, this.ctx);
      } catch (err) {
        this.host.hookError(this.address, 'beforeRestart', err);
      }
    }
    this.hasState = false;
    this.state = undefined;
    this.unstashAll();
  }

  async resume(delayMs: number): Promise<void> {
    const incarnation = this.incarnation;
    if (delayMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
    if (this.status !== HALTED || incarnation !== this.incarnation) return;
    this.start();
  }

  async stop(reason: ExitReason): Promise<void> {
    if (this.status === STOPPED) return;
    this.status = STOPPED;
    this.exit = reason;
    await this.settleInflight();
    this.timers.cancelAll();
    this.cancelWatches();
    if (this.hasState && this.def.stop !== undefined) {
      try {
        await this.def.stop(this.state, this.ctx);
      } catch (err) {
        this.host.hookError(this.address, 'stop', err);
      }
    }
    this.hasState = false;
    this.state = undefined;
    this.unstashAll();
    // Nothing queued is dropped silently: tells go to dead letters, asks are rejected.
    for (let w = this.waiting?.shift(); w !== undefined; w = this.waiting?.shift()) {
      this.host.deadLetter({ recipient: this.address, message: w[0], reason: 'stopped' });
      w[1]?.reject(new ActorStoppedError(this.address));
      w[2]?.reject(new ActorStoppedError(this.address));
    }
    while (this.mailbox.size > 0) {
      const msg = this.mailbox.shift();
      const reply = this.mailbox.lastReply;
      if (reply === NOTICE) continue;
      this.host.deadLetter({ recipient: this.address, message: msg, reason: 'stopped' });
      reply?.reject(new ActorStoppedError(this.address));
    }
    this.host.unregister(this.address, this.name);
    this.watch.notify(this.address, reason, (err) =>
      this.host.hookError(this.address, 'watch listener', err),
    );
  }
}

/** The ref of an actor in this thread. */
export class LocalActorRef implements RoutableRef {
  readonly [REF_BRAND] = true as const;

  constructor(private readonly cell: ActorCell) {}

  deliver(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void {
    this.cell.deliver(msg, reply, headers);
  }

  get address(): string {
    return this.cell.address;
  }

  tell(msg: Message): void {
    this.cell.tell(msg);
  }

  send(msg: Message): Promise<void> {
    return this.cell.send(msg);
  }

  ask(msg: Message, options?: AskOptions): Promise<never> {
    return this.cell.ask(msg, options) as Promise<never>;
  }

  watch(listener: (notice: DeathNotice) => void): () => void {
    return this.cell.addWatcher(listener);
  }

  /** @internal the cell behind this ref, for routers in this thread. */
  get target(): ActorCell {
    return this.cell;
  }
}
