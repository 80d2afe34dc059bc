/**
 * Counts messages dropped because they failed their subject's schema, and logs them at most once
 * per interval: a flood of junk must not become a flood of log lines.
 */
export class MalformedLog {
  /** Dropped since the link opened. */
  total = 0;
  private sinceLog = 0;
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private last = '';

  constructor(
    private readonly intervalMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Records one dropped message; `subject` and `why` go into the next log line. */
  drop(subject: string, why: string): void {
    this.total++;
    this.sinceLog++;
    this.last = `${subject}: ${why}`;
    const now = Date.now();
    if (now - this.lastLogAt < this.intervalMs) return;
    this.lastLogAt = now;
    this.log(
      `[zephyr/runtime] dropped ${this.sinceLog} malformed cluster message(s) (${this.total} in all); last: ${this.last}`,
    );
    this.sinceLog = 0;
  }
}
