import { InvalidArgumentError } from '../errors.js';
import type { Backoff, RestartIntensity } from './child-spec.js';

/** Sliding window of restart times: answers "has this supervisor restarted too often?". */
export class RestartWindow {
  private times: number[] = [];

  constructor(private readonly intensity: RestartIntensity) {
    if (!Number.isInteger(intensity.maxRestarts) || intensity.maxRestarts < 0) {
      throw new InvalidArgumentError(
        `intensity.maxRestarts must be an integer >= 0, got ${intensity.maxRestarts}`,
      );
    }
    if (!(intensity.withinMs > 0)) {
      throw new InvalidArgumentError(`intensity.withinMs must be > 0, got ${intensity.withinMs}`);
    }
  }

  /** Records a restart now; returns false when it exceeds the intensity (the supervisor must give up). */
  record(now = Date.now()): boolean {
    const from = now - this.intensity.withinMs;
    this.times = this.times.filter((t) => t > from);
    this.times.push(now);
    return this.times.length <= this.intensity.maxRestarts;
  }

  /** Restarts recorded within the window. */
  count(now = Date.now()): number {
    const from = now - this.intensity.withinMs;
    return this.times.filter((t) => t > from).length;
  }

  clear(): void {
    this.times = [];
  }
}

/** The delay before the `n`-th restart (n >= 1) of one child. */
export function backoffDelay(backoff: Backoff | undefined, n: number): number {
  if (backoff === undefined || n < 1) return 0;
  const factor = backoff.factor ?? 2;
  return Math.min(backoff.maxMs, backoff.initialMs * factor ** (n - 1));
}

/** Validates a backoff at registration, so a bad one fails where it is written. */
export function checkBackoff(backoff: Backoff | undefined): void {
  if (backoff === undefined) return;
  const { initialMs, maxMs, factor = 2 } = backoff;
  if (!(initialMs >= 0) || !(maxMs >= initialMs) || !(factor >= 1)) {
    throw new InvalidArgumentError('backoff needs 0 <= initialMs <= maxMs and factor >= 1');
  }
}
