/** One acquisition that was never released. */
export interface LeakReport {
  /** Which pool. */
  readonly pool: string;
  /** Stack trace of the `acquire` call. */
  readonly acquiredAt: string;
  /** `gc`: the item was garbage-collected while still acquired; `outstanding`: still held when checked. */
  readonly kind: 'gc' | 'outstanding';
}

/**
 * Dev-mode bookkeeping of acquisitions: a stack per acquire, and a FinalizationRegistry that
 * reports items collected without a release (the classic leak: a pooled buffer dropped on an error
 * path). Costs a stack capture per acquire, so pools enable it only in development.
 */
export class LeakTracker {
  private nextId = 1;
  private readonly ids = new WeakMap<object, number>();
  private readonly stacks = new Map<number, string>();
  private readonly registry: FinalizationRegistry<number>;

  constructor(
    private readonly pool: string,
    private readonly onLeak: (report: LeakReport) => void,
  ) {
    this.registry = new FinalizationRegistry((id) => {
      const acquiredAt = this.stacks.get(id);
      if (acquiredAt === undefined) return;
      this.stacks.delete(id);
      this.onLeak({ pool: this.pool, acquiredAt, kind: 'gc' });
    });
  }

  acquired(item: object): void {
    const id = this.nextId++;
    const stack = new Error('acquired here').stack ?? '';
    this.ids.set(item, id);
    this.stacks.set(id, stack.split('\n').slice(2).join('\n'));
    this.registry.register(item, id, item);
  }

  /** Returns false when `item` is not currently acquired (double release or a foreign item). */
  released(item: object): boolean {
    const id = this.ids.get(item);
    if (id === undefined || !this.stacks.has(id)) return false;
    this.ids.delete(item);
    this.stacks.delete(id);
    this.registry.unregister(item);
    return true;
  }

  /** Acquisitions not released yet. */
  outstanding(): LeakReport[] {
    return [...this.stacks.values()].map((acquiredAt) => ({
      pool: this.pool,
      acquiredAt,
      kind: 'outstanding' as const,
    }));
  }
}

/** Development mode unless NODE_ENV is `production`. */
export function isDevMode(): boolean {
  return process.env.NODE_ENV !== 'production';
}

/** Default leak reporter: a warning on stderr with the acquire stack. */
export function warnLeak(report: LeakReport): void {
  process.emitWarning(`${report.pool}: acquired but never released (${report.kind})\n${report.acquiredAt}`, {
    code: 'ZEPHYR_POOL_LEAK',
  });
}
