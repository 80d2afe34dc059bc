import { Buffer } from 'node:buffer';

/**
 * Bytes of one slab small incoming frames are rebuilt in. Eight times Node's Buffer pool: a thread
 * answering requests makes a new slab every few hundred frames instead of every few dozen.
 */
export const FRAME_SLAB_BYTES = 64 * 1024;

/**
 * Rebuilds frames that crossed as latin1 strings in slabs of our own.
 *
 * Why not `Buffer.from(frame, 'latin1')`: that carves from Node's 8 KB pool, so a thread receiving
 * one frame per request makes a fresh pool ArrayBuffer every few dozen requests. With any young
 * ArrayBuffer alive at a scavenge, V8 posts a sweeping job that wakes its helper threads, and each
 * wake preempts the actor thread on the core it shares with the event loop: on the actor-routes
 * benchmark's pool thread that was ~15 of its ~33 helper wakes in 5 s (Piscina's worker: none).
 *
 * A slab is never written twice: decoded binary values are views of the frame, and stay valid for
 * as long as anything holds them (which keeps their slab alive, as a pool slice does).
 */
export class FrameSlab {
  private slab = Buffer.allocUnsafeSlow(FRAME_SLAB_BYTES);
  private used = 0;

  /**
   * The bytes of `frame` (latin1) as a view of a slab; one longer than a slab gets a buffer of its
   * own. A plain `Uint8Array`, so the codec need not make a second view of it.
   */
  take(frame: string): Uint8Array {
    const length = frame.length;
    if (length > FRAME_SLAB_BYTES) return Buffer.from(frame, 'latin1');
    if (this.used + length > FRAME_SLAB_BYTES) {
      this.slab = Buffer.allocUnsafeSlow(FRAME_SLAB_BYTES);
      this.used = 0;
    }
    const start = this.used;
    this.used = start + this.slab.write(frame, start, length, 'latin1');
    return new Uint8Array(this.slab.buffer, start, length);
  }
}
