import { describe, expect, it } from 'vitest';
import { FRAME_SLAB_BYTES, FrameSlab } from '../src/threads/frame-slab.js';

const latin1 = (bytes: number[]): string => String.fromCharCode(...bytes);

describe('FrameSlab', () => {
  it('rebuilds every byte value, and never writes over a frame it has handed out', () => {
    const slab = new FrameSlab();
    const frameBytes = 1000;
    const taken: Array<[Uint8Array, number]> = [];
    // Enough frames to fill three slabs: the ones handed out first must still read the same.
    for (let i = 0; i < (3 * FRAME_SLAB_BYTES) / frameBytes; i++) {
      const bytes = Array.from({ length: frameBytes }, (_, j) => (i + j) & 0xff);
      taken.push([slab.take(latin1(bytes)), i]);
    }
    for (const [view, i] of taken) {
      expect(view.byteLength).toBe(frameBytes);
      expect(view.every((b, j) => b === ((i + j) & 0xff))).toBe(true);
    }
    // Frames share slabs, yet more than one slab was used.
    const slabs = new Set(taken.map(([view]) => view.buffer));
    expect(slabs.size).toBeGreaterThan(1);
    expect(slabs.size).toBeLessThan(taken.length);
  });

  it('carries a frame longer than a slab whole, in a buffer of its own', () => {
    const slab = new FrameSlab();
    const small = slab.take('ab');
    const long = 'z'.repeat(FRAME_SLAB_BYTES + 1);
    const view = slab.take(long);
    expect(view.byteLength).toBe(FRAME_SLAB_BYTES + 1);
    expect(view.buffer).not.toBe(small.buffer);
    expect(Buffer.from(view).toString('latin1')).toBe(long);
    expect(Buffer.from(small).toString('latin1')).toBe('ab');
  });

  it('reads an empty frame as no bytes', () => {
    expect(new FrameSlab().take('').byteLength).toBe(0);
  });
});
