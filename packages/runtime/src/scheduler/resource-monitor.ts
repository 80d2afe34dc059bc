import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { InvalidArgumentError } from '../errors.js';

/** One reading of the process's resources. */
export interface ResourceSample {
  /** Event-loop delay since the previous sample, in ms (p99 of the delay histogram, or the sampling timer's lateness if larger). */
  readonly eventLoopDelayMs: number;
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  /** Active handles and requests (sockets, timers, file operations...). */
  readonly handles: number;
}

/** Limits above which the monitor reports pressure; omitted ones are not checked. */
export interface ResourceThresholds {
  readonly eventLoopDelayMs?: number;
  readonly heapUsedBytes?: number;
  readonly rssBytes?: number;
  readonly handles?: number;
}

/** Options of {@link ResourceMonitor}. */
export interface ResourceMonitorOptions {
  /** Sampling period (default 1000 ms). */
  readonly intervalMs?: number;
  readonly thresholds?: ResourceThresholds;
}

/**
 * Samples event-loop delay, heap, RSS and handle count, and reports when a threshold is crossed.
 * Load shedding reads {@link overloaded}; e.g. a limiter can refuse new work while it is true.
 *
 * @example
 * const monitor = new ResourceMonitor({ thresholds: { eventLoopDelayMs: 100 } });
 * monitor.onPressure((sample, exceeded) => log.warn({ sample, exceeded }, 'under pressure'));
 * monitor.start();
 */
export class ResourceMonitor {
  private readonly histogram: IntervalHistogram;
  private timer: NodeJS.Timeout | undefined;
  private last: ResourceSample | null = null;
  private lastTick = 0;
  private drift = 0;
  private exceeded: (keyof ResourceThresholds)[] = [];
  private readonly listeners = new Set<
    (sample: ResourceSample, exceeded: (keyof ResourceThresholds)[]) => void
  >();
  private readonly intervalMs: number;
  private readonly thresholds: ResourceThresholds;

  constructor(options: ResourceMonitorOptions = {}) {
    this.intervalMs = options.intervalMs ?? 1000;
    if (!(this.intervalMs >= 10)) throw new InvalidArgumentError('ResourceMonitor intervalMs must be >= 10');
    this.thresholds = options.thresholds ?? {};
    for (const [key, value] of Object.entries(this.thresholds)) {
      if (typeof value !== 'number' || !(value > 0))
        throw new InvalidArgumentError(`threshold ${key} must be a number > 0`);
    }
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
  }

  /** Starts periodic sampling (the timer does not keep the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    this.histogram.enable();
    this.lastTick = performance.now();
    this.timer = setInterval(() => {
      // How late this callback runs is itself a delay reading; the histogram may not have
      // recorded a long block yet when both timers come due in the same turn.
      const now = performance.now();
      this.drift = Math.max(0, now - this.lastTick - this.intervalMs);
      this.lastTick = now;
      this.sample();
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram.disable();
  }

  /** Takes a sample now, checks thresholds and notifies listeners if any is exceeded. */
  sample(): ResourceSample {
    const memory = process.memoryUsage();
    const delay = Math.max(this.drift, this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : 0);
    this.histogram.reset();
    this.drift = 0;
    const sample: ResourceSample = {
      eventLoopDelayMs: delay,
      heapUsedBytes: memory.heapUsed,
      rssBytes: memory.rss,
      handles: process.getActiveResourcesInfo().length,
    };
    const t = this.thresholds;
    const exceeded: (keyof ResourceThresholds)[] = [];
    if (t.eventLoopDelayMs !== undefined && sample.eventLoopDelayMs > t.eventLoopDelayMs)
      exceeded.push('eventLoopDelayMs');
    if (t.heapUsedBytes !== undefined && sample.heapUsedBytes > t.heapUsedBytes)
      exceeded.push('heapUsedBytes');
    if (t.rssBytes !== undefined && sample.rssBytes > t.rssBytes) exceeded.push('rssBytes');
    if (t.handles !== undefined && sample.handles > t.handles) exceeded.push('handles');
    this.last = sample;
    this.exceeded = exceeded;
    if (exceeded.length > 0) for (const listener of this.listeners) listener(sample, exceeded);
    return sample;
  }

  /** The latest sample (null before the first). */
  get latest(): ResourceSample | null {
    return this.last;
  }

  /** Whether the latest sample exceeded a threshold. */
  get overloaded(): boolean {
    return this.exceeded.length > 0;
  }

  /** Called with each sample that exceeds a threshold and the names of those exceeded. */
  onPressure(listener: (sample: ResourceSample, exceeded: (keyof ResourceThresholds)[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
