/**
 * Delay before restarting a worker that crashed: doubling from `initialMs` per crash in a row,
 * capped at `maxMs`, so a worker that dies at startup does not spin the CPU, while one that
 * crashed after running a while comes back at once (its streak is reset after `stableMs`).
 */
export class RestartBackoff {
  #streak = 0;
  #lastStart = 0;
  constructor(
    private readonly initialMs = 100,
    private readonly maxMs = 5000,
    private readonly stableMs = 10_000,
  ) {}

  started(now = Date.now()): void {
    this.#lastStart = now;
  }

  /** The delay before the next start, given that the worker just exited. */
  nextDelay(now = Date.now()): number {
    if (now - this.#lastStart >= this.stableMs) this.#streak = 0;
    const delay = this.#streak === 0 ? 0 : Math.min(this.maxMs, this.initialMs * 2 ** (this.#streak - 1));
    this.#streak++;
    return delay;
  }
}
