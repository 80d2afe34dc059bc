/**
 * The shared clock a worker thread keeps for its watchdog: which actor's handler runs since when,
 * and its deadline. The worker writes it around every handler; the main thread reads it and
 * terminates a worker whose handler overran (a CPU-bound handler never yields, so nothing inside
 * the worker can stop it).
 *
 * Layout (Float64): [0] start time (ms since epoch, 0 when idle), [1] deadline ms, [2] actor slot.
 */
export const WATCHDOG_BYTES = 3 * Float64Array.BYTES_PER_ELEMENT;

/** How often the main thread looks at each worker's clock. */
export const WATCHDOG_CHECK_MS = 50;

/** Worker side: marks the start and end of handlers that have a deadline. */
export class HandlerClock {
  private readonly cells: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Float64Array(buffer);
  }

  begin(slot: number, deadlineMs: number): void {
    this.cells[1] = deadlineMs;
    this.cells[2] = slot;
    this.cells[0] = Date.now();
  }

  end(): void {
    this.cells[0] = 0;
  }
}

/** Main-thread side: the slot of an actor whose handler has overrun its deadline, or -1. */
export function overrunSlot(buffer: SharedArrayBuffer, now: number): number {
  const cells = new Float64Array(buffer);
  const since = cells[0]!;
  if (since === 0 || now - since <= cells[1]!) return -1;
  return cells[2]!;
}
