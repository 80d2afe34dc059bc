import { InvalidArgumentError } from '../errors.js';
import type { Message } from './message.js';

/** Timers owned by one actor; each sends a message to the actor itself. Keys are unique per actor. */
export class ActorTimers<M extends Message = Message> {
  private readonly active = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deliver: (msg: M) => void) {}

  /** Sends `msg` once after `delayMs`; replaces a timer with the same key. */
  once(key: string, delayMs: number, msg: M): void {
    checkDelay(delayMs);
    this.cancel(key);
    this.active.set(
      key,
      setTimeout(() => {
        this.active.delete(key);
        this.deliver(msg);
      }, delayMs),
    );
  }

  /** Sends `msg` every `intervalMs`; replaces a timer with the same key. */
  interval(key: string, intervalMs: number, msg: M): void {
    checkDelay(intervalMs);
    if (intervalMs === 0) throw new InvalidArgumentError('interval timers need intervalMs > 0');
    this.cancel(key);
    this.active.set(
      key,
      setInterval(() => this.deliver(msg), intervalMs),
    );
  }

  /** Cancels the timer with `key`; returns whether one was active. */
  cancel(key: string): boolean {
    const t = this.active.get(key);
    if (t === undefined) return false;
    clearTimeout(t);
    this.active.delete(key);
    return true;
  }

  /** Whether a timer with `key` is active. */
  isActive(key: string): boolean {
    return this.active.has(key);
  }

  /** Cancels every timer (restart and stop call this). */
  cancelAll(): void {
    for (const t of this.active.values()) clearTimeout(t);
    this.active.clear();
  }
}

function checkDelay(ms: number): void {
  if (!Number.isFinite(ms) || ms < 0)
    throw new InvalidArgumentError(`timer delay must be a finite number >= 0, got ${ms}`);
}
