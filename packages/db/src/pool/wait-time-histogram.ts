/** Percentiles of the last `capacity` acquire wait times, in milliseconds. */
export interface WaitTimePercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** How many samples the percentiles are computed from. */
  readonly samples: number;
}

/**
 * A fixed-size ring of recent wait times: constant memory, percentiles computed only when metrics
 * are read (rarely) rather than on every acquire (often).
 */
export class WaitTimeHistogram {
  readonly #samples: Float64Array;
  #next = 0;
  #count = 0;

  constructor(capacity = 1024) {
    this.#samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#count < this.#samples.length) this.#count++;
  }

  percentiles(): WaitTimePercentiles {
    if (this.#count === 0) return { p50: 0, p90: 0, p99: 0, max: 0, samples: 0 };
    const sorted = this.#samples.slice(0, this.#count).sort();
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return {
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: sorted[sorted.length - 1] ?? 0,
      samples: this.#count,
    };
  }
}
