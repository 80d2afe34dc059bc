import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Samples kept: two minutes at one a second. */
const SAMPLES = 120;

/** One second of the process: event-loop delay and memory. */
export interface ProcessSample {
  /** Milliseconds since the epoch. */
  readonly t: number;
  /** Event-loop delay over the second, milliseconds. */
  readonly loopP50: number;
  readonly loopP99: number;
  readonly loopMax: number;
  /** Bytes. */
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
}

/** Samples event-loop delay and memory once a second, keeping the last two minutes. */
export class ProcessSampler {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  readonly #samples: ProcessSample[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor() {
    this.#histogram.enable();
    this.#timer = setInterval(() => this.sample(), 1000);
    // Sampling must never keep an app alive that is otherwise done.
    this.#timer.unref();
    this.sample();
  }

  /** Takes a sample now (the timer does this each second). */
  sample(): void {
    const h = this.#histogram;
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const memory = process.memoryUsage();
    this.#samples.push({
      t: Date.now(),
      loopP50: h.count > 0 ? ms(h.percentile(50)) : 0,
      loopP99: h.count > 0 ? ms(h.percentile(99)) : 0,
      loopMax: h.count > 0 ? ms(h.max) : 0,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
    });
    if (this.#samples.length > SAMPLES) this.#samples.shift();
    h.reset();
  }

  samples(): readonly ProcessSample[] {
    return [...this.#samples];
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }
}
