import type { MessageHeaders } from '../actor/tracing-channels.js';
import { InvalidArgumentError } from '../errors.js';

/** What a full bounded mailbox does with one more message. */
export type OverflowPolicy = 'reject' | 'drop-oldest' | 'drop-newest' | 'backpressure';

/** Mailbox options of one actor. */
export interface MailboxOptions {
  /** Maximum queued messages; `Infinity` (the default) for unbounded. */
  readonly capacity?: number;
  /**
   * What happens when `capacity` is reached (default `'reject'`):
   * - `reject`: `tell` throws {@link MailboxFullError} to the sender, `ask` rejects with it;
   * - `drop-oldest`: the oldest queued message is discarded to make room;
   * - `drop-newest`: the incoming message is discarded;
   * - `backpressure`: the sender waits for space: `await ref.send(msg)` and `ask` resolve once
   *   the message is queued (up to `capacity` senders wait; beyond that they get
   *   `MailboxFullError`), while `tell`, which cannot wait, throws `MailboxFullError`.
   * A discarded message goes to the system's dead letters; if it was an ask, the asker's promise
   * rejects with `MailboxFullError` — nothing is dropped without someone being told.
   */
  readonly overflow?: OverflowPolicy;
}

const POLICIES: readonly string[] = ['reject', 'drop-oldest', 'drop-newest', 'backpressure'];

/**
 * Checks mailbox options; `where` prefixes the message (e.g. `child "worker": mailbox`).
 * @throws {InvalidArgumentError} naming the field and the value given.
 */
export function checkMailboxOptions(options: MailboxOptions, where = 'mailbox'): void {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError(`${where} must be an object, got ${String(options)}`);
  const capacity = options.capacity ?? Number.POSITIVE_INFINITY;
  if (
    typeof capacity !== 'number' ||
    !(capacity >= 1) ||
    (Number.isFinite(capacity) && !Number.isInteger(capacity))
  ) {
    throw new InvalidArgumentError(
      `${where}.capacity must be an integer >= 1 or Infinity, got ${String(capacity)}`,
    );
  }
  const overflow = options.overflow ?? 'reject';
  if (!POLICIES.includes(overflow)) {
    throw new InvalidArgumentError(
      `${where}.overflow must be one of ${POLICIES.join(', ')}, got ${String(overflow)}`,
    );
  }
}

/** Where the reply of an `ask` goes; tells carry none. */
export interface ReplyTo {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Results of {@link Mailbox.offer} (plain numbers: compared in the hot path). */
export const Offer = {
  Accepted: 0,
  /** Queue full under `reject`: nothing changed. */
  Rejected: 1,
  /** Queue full under `drop-newest`: the offered message was not queued. */
  DroppedNewest: 2,
  /** Queue full under `drop-oldest`: the offered message was queued, the head went to `evicted*`. */
  DroppedOldest: 3,
  /** Queue full under `backpressure`: nothing changed; the sender should wait for space. */
  Blocked: 4,
} as const;
/** One of the {@link Offer} results. */
export type Offer = (typeof Offer)[keyof typeof Offer];

/**
 * An actor's mailbox: a ring of messages with a parallel ring of reply slots. Keeping replies in
 * their own array means a tell writes one `undefined` instead of allocating an envelope, which is
 * what lets a tell cost a few nanoseconds.
 */
export class Mailbox {
  /** Bound (Infinity when unbounded). */
  readonly capacity: number;
  /** Overflow policy applied at `capacity`. */
  readonly overflow: OverflowPolicy;
  private msgs: unknown[];
  private replies: (ReplyTo | undefined)[];
  /** Headers beside messages (trace context); written only for messages that carry some. */
  private headers: (MessageHeaders | undefined)[];
  private head = 0;
  private count = 0;
  private mask: number;
  /** Reply slot of the message last returned by {@link shift}. */
  lastReply: ReplyTo | undefined = undefined;
  /** Headers of the message last returned by {@link shift}. */
  lastHeaders: MessageHeaders | undefined = undefined;
  /** Message evicted by the last `DroppedOldest` offer. */
  evictedMsg: unknown = undefined;
  /** Reply slot evicted by the last `DroppedOldest` offer. */
  evictedReply: ReplyTo | undefined = undefined;

  constructor(options: MailboxOptions = {}) {
    checkMailboxOptions(options);
    const capacity = options.capacity ?? Number.POSITIVE_INFINITY;
    const overflow = options.overflow ?? 'reject';
    this.capacity = capacity;
    this.overflow = overflow;
    const initial = Number.isFinite(capacity) ? Math.min(capacity, 1024) : 64;
    let cap = 8;
    while (cap < initial) cap <<= 1;
    this.msgs = new Array<unknown>(cap);
    this.replies = new Array<ReplyTo | undefined>(cap);
    this.headers = new Array<MessageHeaders | undefined>(cap);
    this.mask = cap - 1;
  }

  /** Queued messages. */
  get size(): number {
    return this.count;
  }

  /** Queues a message subject to the bound and overflow policy. */
  offer(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): Offer {
    if (this.count >= this.capacity) {
      if (this.overflow === 'reject') return Offer.Rejected;
      if (this.overflow === 'backpressure') return Offer.Blocked;
      if (this.overflow === 'drop-newest') return Offer.DroppedNewest;
      this.evictedMsg = this.shift();
      this.evictedReply = this.lastReply;
      this.push(msg, reply, headers);
      return Offer.DroppedOldest;
    }
    this.push(msg, reply, headers);
    return Offer.Accepted;
  }

  /** Appends ignoring the bound (the caller has checked it). */
  push(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void {
    if (this.count === this.msgs.length) this.grow();
    const i = (this.head + this.count) & this.mask;
    this.msgs[i] = msg;
    // Reply slots are cleared by shift, so a tell need not write its empty one.
    if (reply !== undefined) this.replies[i] = reply;
    if (headers !== undefined) this.headers[i] = headers;
    this.count++;
  }

  /** Prepends ignoring the bound: stashed messages go back in front, even past capacity. */
  unshift(msg: unknown, reply: ReplyTo | undefined): void {
    if (this.count === this.msgs.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.msgs[this.head] = msg;
    this.replies[this.head] = reply;
    this.count++;
  }

  /** Removes the head message; its reply slot is left in {@link lastReply}. Call only when `size > 0`. */
  shift(): unknown {
    const h = this.head;
    const msg = this.msgs[h];
    const reply = this.replies[h];
    this.lastReply = reply;
    this.msgs[h] = undefined;
    if (reply !== undefined) this.replies[h] = undefined;
    const headers = this.headers[h];
    this.lastHeaders = headers;
    if (headers !== undefined) this.headers[h] = undefined;
    this.head = (h + 1) & this.mask;
    this.count--;
    return msg;
  }

  private grow(): void {
    const n = this.msgs.length;
    const msgs = new Array<unknown>(n * 2);
    const replies = new Array<ReplyTo | undefined>(n * 2);
    const headers = new Array<MessageHeaders | undefined>(n * 2);
    for (let i = 0; i < this.count; i++) {
      const j = (this.head + i) & this.mask;
      msgs[i] = this.msgs[j];
      replies[i] = this.replies[j];
      headers[i] = this.headers[j];
    }
    this.msgs = msgs;
    this.replies = replies;
    this.headers = headers;
    this.head = 0;
    this.mask = n * 2 - 1;
  }
}
