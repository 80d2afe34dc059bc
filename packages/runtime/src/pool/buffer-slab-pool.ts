import { parseSize } from '@zephyr/config';
import { InvalidArgumentError, PoolExhaustedError, PoolReleaseError } from '../errors.js';
import { isDevMode, type LeakReport, LeakTracker, warnLeak } from './leak-tracker.js';

/** Options of {@link BufferSlabPool}. */
export interface BufferSlabPoolOptions {
  /** Total memory, in bytes or as a size string (`64MB`); the `memory_pool_size` setting. */
  readonly totalSize: number | string;
  /** Bytes per slab (default 64 KiB). */
  readonly slabSize?: number | string;
  /** Track acquisitions and report leaks (default: on unless NODE_ENV=production). */
  readonly devChecks?: boolean;
  /** Where leaks are reported (default: a process warning). */
  readonly onLeak?: (report: LeakReport) => void;
}

/**
 * Fixed-size Buffers carved out of one preallocated block: no allocation and no GC pressure per
 * use, and memory use is capped at `totalSize`. Slabs are not zeroed between uses.
 *
 * @example
 * const slabs = new BufferSlabPool({ totalSize: '16MB', slabSize: '64KB' });
 * const buf = slabs.acquire();
 * try { socket.read(buf); } finally { slabs.release(buf); }
 */
export class BufferSlabPool {
  /** Bytes per slab. */
  readonly slabSize: number;
  /** Number of slabs. */
  readonly slabCount: number;
  private readonly block: Buffer;
  private readonly freeList: Int32Array;
  private freeTop: number;
  /** 1 while a slab is handed out: catches double and foreign releases even without dev checks. */
  private readonly inUse: Uint8Array;
  private readonly tracker: LeakTracker | null;

  constructor(options: BufferSlabPoolOptions) {
    const total = sizeOption('totalSize', options.totalSize);
    this.slabSize = sizeOption('slabSize', options.slabSize ?? 64 * 1024);
    if (this.slabSize < 1 || total < this.slabSize) {
      throw new InvalidArgumentError(
        `BufferSlabPool needs 1 <= slabSize <= totalSize (got ${this.slabSize} and ${total})`,
      );
    }
    this.slabCount = Math.floor(total / this.slabSize);
    // allocUnsafeSlow: a dedicated ArrayBuffer, not a slice of Node's shared pool.
    this.block = Buffer.allocUnsafeSlow(this.slabCount * this.slabSize);
    this.freeList = new Int32Array(this.slabCount);
    for (let i = 0; i < this.slabCount; i++) this.freeList[i] = this.slabCount - 1 - i;
    this.freeTop = this.slabCount;
    this.inUse = new Uint8Array(this.slabCount);
    this.tracker =
      (options.devChecks ?? isDevMode())
        ? new LeakTracker('BufferSlabPool', options.onLeak ?? warnLeak)
        : null;
  }

  /** Slabs free now. */
  get available(): number {
    return this.freeTop;
  }

  /** A free slab, or undefined when all are in use. */
  tryAcquire(): Buffer | undefined {
    if (this.freeTop === 0) return undefined;
    const index = this.freeList[--this.freeTop]!;
    this.inUse[index] = 1;
    const start = index * this.slabSize;
    const buf = this.block.subarray(start, start + this.slabSize);
    this.tracker?.acquired(buf);
    return buf;
  }

  /** @throws {PoolExhaustedError} when every slab is in use. */
  acquire(): Buffer {
    const buf = this.tryAcquire();
    if (buf === undefined)
      throw new PoolExhaustedError(`BufferSlabPool (${this.slabCount} slabs of ${this.slabSize} bytes)`);
    return buf;
  }

  /** @throws {PoolReleaseError} for a buffer that is not a slab of this pool currently handed out. */
  release(buf: Buffer): void {
    const offset = buf.byteOffset - this.block.byteOffset;
    const index = offset / this.slabSize;
    if (
      buf.buffer !== this.block.buffer ||
      buf.length !== this.slabSize ||
      !Number.isInteger(index) ||
      this.inUse[index] !== 1
    ) {
      throw new PoolReleaseError('BufferSlabPool');
    }
    this.tracker?.released(buf);
    this.inUse[index] = 0;
    this.freeList[this.freeTop++] = index;
  }

  /** Dev checks: slabs acquired and not released yet, with their stacks. */
  outstanding(): LeakReport[] {
    return this.tracker?.outstanding() ?? [];
  }
}

function sizeOption(name: string, value: number | string): number {
  try {
    return parseSize(value);
  } catch (err) {
    throw new InvalidArgumentError(`BufferSlabPool ${name}: ${(err as Error).message}`);
  }
}
