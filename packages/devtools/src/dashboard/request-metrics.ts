/** Seconds of per-second request counts kept (the dashboard's requests/s chart). */
export const RATE_HISTORY_SECONDS = 60;
/** Latencies kept for the percentiles: the most recent ones, at most this many. */
const LATENCY_SAMPLES = 4096;
/** The percentiles cover requests that ended in this window. */
const LATENCY_WINDOW_MS = 30_000;

/** Requests/s and latency percentiles, as the dashboard shows them. */
export interface RequestStats {
  /** Requests that ended in each of the last {@link RATE_HISTORY_SECONDS} seconds, oldest first. */
  readonly perSecond: readonly number[];
  /** Mean requests/s over the last 5 complete seconds. */
  readonly rate: number;
  readonly total: number;
  /** Latency percentiles in milliseconds over the last 30 s; `null` without requests. */
  readonly latencyMs: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
  } | null;
  /** Responses by status class over the process's life. */
  readonly statusClasses: Readonly<Record<string, number>>;
}

/** Counts finished requests per second and keeps recent latencies. Bounded memory. */
export class RequestMetrics {
  readonly #counts = new Float64Array(RATE_HISTORY_SECONDS);
  #second = Math.floor(Date.now() / 1000);
  #total = 0;
  readonly #latency = new Float64Array(LATENCY_SAMPLES);
  readonly #endedAt = new Float64Array(LATENCY_SAMPLES);
  #next = 0;
  #stored = 0;
  readonly #statusClasses: Record<string, number> = {};

  /** Records one finished request. */
  record(durationMs: number, status: number, now = Date.now()): void {
    this.#advance(now);
    this.#counts[this.#second % RATE_HISTORY_SECONDS]!++;
    this.#total++;
    this.#latency[this.#next] = durationMs;
    this.#endedAt[this.#next] = now;
    this.#next = (this.#next + 1) % LATENCY_SAMPLES;
    this.#stored = Math.min(this.#stored + 1, LATENCY_SAMPLES);
    const cls = `${Math.floor(status / 100)}xx`;
    this.#statusClasses[cls] = (this.#statusClasses[cls] ?? 0) + 1;
  }

  stats(now = Date.now()): RequestStats {
    this.#advance(now);
    const perSecond: number[] = [];
    for (let s = this.#second - RATE_HISTORY_SECONDS + 1; s <= this.#second; s++)
      perSecond.push(this.#counts[s % RATE_HISTORY_SECONDS]!);
    const rate = perSecond.slice(-6, -1).reduce((a, b) => a + b, 0) / 5;
    const recent: number[] = [];
    for (let i = 0; i < this.#stored; i++)
      if (now - this.#endedAt[i]! <= LATENCY_WINDOW_MS) recent.push(this.#latency[i]!);
    recent.sort((a, b) => a - b);
    const at = (q: number) => round(recent[Math.min(recent.length - 1, Math.floor(q * recent.length))]!);
    return {
      perSecond,
      rate,
      total: this.#total,
      latencyMs:
        recent.length === 0
          ? null
          : { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(recent.at(-1)!) },
      statusClasses: { ...this.#statusClasses },
    };
  }

  /** Moves to the current second, zeroing the seconds that passed without requests. */
  #advance(now: number): void {
    const second = Math.floor(now / 1000);
    for (let s = Math.max(this.#second + 1, second - RATE_HISTORY_SECONDS + 1); s <= second; s++)
      this.#counts[s % RATE_HISTORY_SECONDS] = 0;
    if (second > this.#second) this.#second = second;
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
