import { AskTimeoutError } from '../errors.js';
import type { ReplyTo } from '../mailbox/mailbox.js';
import { RingQueue } from '../mailbox/ring-queue.js';

/** The reply slot of one ask: settles its promise once and records whether it has settled. */
export class PendingAsk implements ReplyTo {
  settled = false;
  /** Called once when the ask settles (links use it to forget the ask id). */
  onSettle: (() => void) | null = null;
  readonly promise: Promise<unknown>;
  private res!: (value: unknown) => void;
  private rej!: (error: unknown) => void;

  constructor(
    readonly address: string,
    readonly timeoutMs: number,
    readonly deadline: number,
    private readonly owner: AskDeadlines | null = null,
  ) {
    this.promise = new Promise<unknown>((resolve, reject) => {
      this.res = resolve;
      this.rej = reject;
    });
  }

  resolve(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettle?.();
    this.owner?.settled();
    this.res(value);
  }

  reject(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettle?.();
    this.owner?.settled();
    this.rej(error);
  }
}

/**
 * Ask timeouts without a timer per ask. Asks with the same timeout expire in the order they were
 * made, so each timeout value gets a FIFO queue and one timer is armed for the earliest head.
 * Settled asks are dropped from queue heads as new ones arrive, so a stream of quick asks keeps
 * the queues short. (A `setTimeout` per ask would cost more than the rest of the ask.)
 */
export class AskDeadlines {
  private readonly queues = new Map<number, RingQueue<PendingAsk>>();
  private timer: NodeJS.Timeout | undefined = undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  /** Unsettled asks: the timer keeps the process alive only while some ask can still time out. */
  private unsettled = 0;
  /** Entries in all queues, settled or not. */
  private queued = 0;

  /** Creates an ask that rejects with `AskTimeoutError` after `timeoutMs`. */
  create(address: string, timeoutMs: number): PendingAsk {
    const ask = new PendingAsk(address, timeoutMs, Date.now() + timeoutMs, this);
    if (this.unsettled++ === 0) this.timer?.ref();
    let queue = this.queues.get(timeoutMs);
    if (queue === undefined) {
      queue = new RingQueue<PendingAsk>(64);
      this.queues.set(timeoutMs, queue);
    }
    while (queue.peek()?.settled === true) {
      queue.shift();
      this.queued--;
    }
    // One unanswered ask at a queue's head would keep every later (answered) ask of that timeout
    // queued until it expires: once settled entries outnumber live ones, drop them all.
    if (this.queued > 1024 && this.queued > 2 * this.unsettled) this.compact();
    queue.push(ask);
    this.queued++;
    if (ask.deadline < this.armedFor) this.arm(ask.deadline);
    return ask;
  }

  /** @internal entries held in the queues (for the memory test). */
  get queuedCount(): number {
    return this.queued;
  }

  private compact(): void {
    for (const [timeoutMs, queue] of this.queues) {
      const live = queue.drainAll().filter((ask) => !ask.settled);
      for (const ask of live) queue.push(ask);
      if (live.length === 0) this.queues.delete(timeoutMs);
    }
    let total = 0;
    for (const queue of this.queues.values()) total += queue.size;
    this.queued = total;
  }

  /** @internal called by each ask once it settles. */
  settled(): void {
    if (--this.unsettled === 0) this.timer?.unref();
  }

  private arm(deadline: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(this.sweep, Math.max(0, deadline - Date.now()) + 1);
    if (this.unsettled === 0) this.timer.unref();
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [timeoutMs, queue] of this.queues) {
      for (let head = queue.peek(); head !== undefined; head = queue.peek()) {
        if (!head.settled && head.deadline > now) break;
        queue.shift();
        this.queued--;
        if (!head.settled) head.reject(new AskTimeoutError(head.address, head.timeoutMs));
      }
      const head = queue.peek();
      if (head === undefined) this.queues.delete(timeoutMs);
      else if (head.deadline < next) next = head.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  };
}

/** Whether a reply slot is a local ask (it has a timeout to pass on to transports). */
export function isPendingAsk(reply: ReplyTo): reply is PendingAsk {
  return reply instanceof PendingAsk;
}
