import { InvalidArgumentError, PoolExhaustedError, PoolReleaseError } from '../errors.js';
import { isDevMode, type LeakReport, LeakTracker, warnLeak } from './leak-tracker.js';

/** Options of {@link ObjectPool}. */
export interface ObjectPoolOptions<T extends object> {
  /** Makes a new item when none is free. */
  create(): T;
  /** Clears an item on release, before it is handed out again. */
  reset?(item: T): void;
  /** Most items handed out at once; acquire beyond it throws `PoolExhaustedError` (default unbounded). */
  readonly maxOutstanding?: number;
  /** Most free items kept for reuse (default 1024); extra released items are left to the GC. */
  readonly maxFree?: number;
  /** Name in errors and leak reports (default `ObjectPool`). */
  readonly name?: string;
  /** Track acquisitions and report leaks (default: on unless NODE_ENV=production). */
  readonly devChecks?: boolean;
  /** Where leaks are reported (default: a process warning). */
  readonly onLeak?: (report: LeakReport) => void;
}

/**
 * A pool of reusable objects, for hot paths that would otherwise allocate per operation.
 *
 * @example
 * const pool = new ObjectPool({ create: () => ({ id: 0, data: [] as number[] }), reset: (o) => { o.data.length = 0; } });
 * const item = pool.acquire();
 * try { use(item); } finally { pool.release(item); }
 */
export class ObjectPool<T extends object> {
  private readonly free: T[] = [];
  /** The items in `free`: a second release of one is refused even with dev checks off. */
  private readonly freeSet = new WeakSet<T>();
  private out = 0;
  private readonly tracker: LeakTracker | null;
  private readonly name: string;
  private readonly maxOutstanding: number;
  private readonly maxFree: number;

  constructor(private readonly options: ObjectPoolOptions<T>) {
    if (typeof options.create !== 'function')
      throw new InvalidArgumentError('ObjectPool needs a create() function');
    this.name = options.name ?? 'ObjectPool';
    this.maxOutstanding = options.maxOutstanding ?? Number.POSITIVE_INFINITY;
    this.maxFree = options.maxFree ?? 1024;
    if (!(this.maxOutstanding >= 1) || !(this.maxFree >= 0)) {
      throw new InvalidArgumentError('ObjectPool needs maxOutstanding >= 1 and maxFree >= 0');
    }
    this.tracker =
      (options.devChecks ?? isDevMode()) ? new LeakTracker(this.name, options.onLeak ?? warnLeak) : null;
  }

  /** Items currently handed out. */
  get outstandingCount(): number {
    return this.out;
  }

  /** Free items ready for reuse. */
  get freeCount(): number {
    return this.free.length;
  }

  /** @throws {PoolExhaustedError} when `maxOutstanding` items are already out. */
  acquire(): T {
    if (this.out >= this.maxOutstanding) throw new PoolExhaustedError(this.name);
    const reused = this.free.pop();
    if (reused !== undefined) this.freeSet.delete(reused);
    const item = reused ?? this.options.create();
    this.out++;
    this.tracker?.acquired(item);
    return item;
  }

  /**
   * @throws {PoolReleaseError} for an item released twice or more often than items were handed
   * out (always), and, with dev checks, for one this pool never handed out.
   */
  release(item: T): void {
    if (this.freeSet.has(item) || this.out === 0) throw new PoolReleaseError(this.name);
    if (this.tracker !== null && !this.tracker.released(item)) throw new PoolReleaseError(this.name);
    this.out--;
    this.options.reset?.(item);
    if (this.free.length < this.maxFree) {
      this.free.push(item);
      this.freeSet.add(item);
    }
  }

  /** Dev checks: acquisitions not released yet, with their stacks (empty when checks are off). */
  outstanding(): LeakReport[] {
    return this.tracker?.outstanding() ?? [];
  }
}
