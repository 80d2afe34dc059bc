import { ActorStoppedError, InvalidArgumentError } from '../errors.js';
import type { ReplyTo } from '../mailbox/mailbox.js';
import type { ActorRef, AskOptions } from './actor-ref.js';
import { type DeathNotice, isMessage, type Message } from './message.js';
import type { AskDeadlines } from './pending-ask.js';
import { type MessageHeaders, type MessagePlacement, sendChannel, traceSend } from './tracing-channels.js';

/**
 * Marks ref objects of every kind (local, thread, cluster) so the codec recognises them without
 * importing each class. `Symbol.for` makes the brand the same in every thread.
 */
export const REF_BRAND: unique symbol = Symbol.for('zephyr.runtime.actorRef') as never;

/** A ref the runtime can route to: it takes a message with an optional reply slot. */
export interface RoutableRef extends ActorRef {
  readonly [REF_BRAND]: true;
  /** Delivers without throwing: a message that cannot be queued is dead-lettered, its asker told. */
  deliver(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void;
}

/** Whether `value` is a runtime ref (any placement). */
export function isRoutableRef(value: unknown): value is RoutableRef {
  return typeof value === 'object' && value !== null && (value as Partial<RoutableRef>)[REF_BRAND] === true;
}

/**
 * Base of refs whose actor lives elsewhere: validates, creates the ask's reply slot, and leaves
 * the transport to `deliver`.
 */
export abstract class RemoteRefBase implements RoutableRef {
  readonly [REF_BRAND] = true as const;

  constructor(
    readonly address: string,
    protected readonly deadlines: AskDeadlines,
    protected readonly defaultTimeoutMs: number,
  ) {}

  /** Where the actor lives, for the send channel. */
  protected abstract readonly placement: MessagePlacement;
  abstract deliver(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void;
  abstract watch(listener: (notice: DeathNotice) => void): () => void;

  tell(msg: Message): void {
    if (!isMessage(msg)) throw new InvalidArgumentError('a message must be an object with a string "type"');
    if (sendChannel.hasSubscribers)
      traceSend(this.address, msg, this.placement, false, (h) => this.deliver(msg, undefined, h));
    else this.deliver(msg, undefined);
  }

  /** Remote mailboxes cannot make this sender wait: resolves once the message is handed to the transport. */
  send(msg: Message): Promise<void> {
    try {
      this.tell(msg);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  ask(msg: Message, options?: AskOptions): Promise<never> {
    if (!isMessage(msg)) {
      return Promise.reject(new InvalidArgumentError('a message must be an object with a string "type"'));
    }
    const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      return Promise.reject(
        new InvalidArgumentError(`ask timeoutMs must be a finite number > 0, got ${timeoutMs}`),
      );
    }
    const pending = this.deadlines.create(this.address, timeoutMs);
    try {
      if (sendChannel.hasSubscribers)
        traceSend(this.address, msg, this.placement, true, (h) => this.deliver(msg, pending, h));
      else this.deliver(msg, pending);
    } catch (err) {
      // A transport that refuses at the send site: the ask settles now, nothing is left pending.
      pending.reject(err);
    }
    return pending.promise as Promise<never>;
  }
}

/** A ref to an address nobody here can reach: tells are dead-lettered, asks rejected. */
export class UnreachableRef extends RemoteRefBase {
  protected readonly placement = 'local';
  constructor(
    address: string,
    deadlines: AskDeadlines,
    private readonly onDeadLetter: (msg: unknown) => void,
  ) {
    super(address, deadlines, 5000);
  }

  deliver(msg: unknown, reply: ReplyTo | undefined): void {
    this.onDeadLetter(msg);
    reply?.reject(new ActorStoppedError(this.address));
  }

  watch(listener: (notice: DeathNotice) => void): () => void {
    const notice: DeathNotice = { address: this.address, reason: { type: 'normal' } };
    queueMicrotask(() => listener(notice));
    return () => {};
  }
}
