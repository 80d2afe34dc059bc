// A single-producer single-consumer byte ring on a SharedArrayBuffer, carrying length-prefixed
// frames. The consumer sleeps in Atomics.waitAsync when empty; the producer blocks in Atomics.wait
// when full. Used to compare against MessagePort as the frame transport between threads.
const HEAD = 0;
const TAIL = 1;

export function createRing(capacity) {
  return { sab: new SharedArrayBuffer(8 + capacity), capacity };
}

export class RingWriter {
  constructor({ sab, capacity }) {
    this.ctrl = new Int32Array(sab, 0, 2);
    this.data = new Uint8Array(sab, 8, capacity);
    this.view = new DataView(sab, 8, capacity);
    this.capacity = capacity;
  }

  write(frame) {
    const need = 4 + frame.length;
    if (need > this.capacity) throw new Error('frame larger than the ring');
    for (;;) {
      const head = Atomics.load(this.ctrl, HEAD);
      const tail = Atomics.load(this.ctrl, TAIL);
      const used = (tail - head + this.capacity) % this.capacity;
      if (this.capacity - used - 1 >= need) break;
      Atomics.wait(this.ctrl, HEAD, head, 50);
    }
    let tail = Atomics.load(this.ctrl, TAIL);
    tail = this.put(tail, [
      frame.length & 0xff,
      (frame.length >> 8) & 0xff,
      (frame.length >> 16) & 0xff,
      frame.length >>> 24,
    ]);
    tail = this.put(tail, frame);
    Atomics.store(this.ctrl, TAIL, tail);
    Atomics.notify(this.ctrl, TAIL);
  }

  put(pos, bytes) {
    const first = Math.min(bytes.length, this.capacity - pos);
    this.data.set(
      first === bytes.length ? bytes : bytes.subarray ? bytes.subarray(0, first) : bytes.slice(0, first),
      pos,
    );
    if (first < bytes.length) {
      const rest = bytes.subarray ? bytes.subarray(first) : bytes.slice(first);
      this.data.set(rest, 0);
    }
    return (pos + bytes.length) % this.capacity;
  }
}

export class RingReader {
  constructor({ sab, capacity }) {
    this.ctrl = new Int32Array(sab, 0, 2);
    this.data = new Uint8Array(sab, 8, capacity);
    this.capacity = capacity;
  }

  /** Calls onFrame for every frame, forever (until stop()). */
  async run(onFrame) {
    this.running = true;
    while (this.running) {
      let head = Atomics.load(this.ctrl, HEAD);
      const tail = Atomics.load(this.ctrl, TAIL);
      if (head === tail) {
        const w = Atomics.waitAsync(this.ctrl, TAIL, tail, 100);
        if (w.async) await w.value;
        continue;
      }
      while (head !== tail) {
        const len =
          this.byte(head) |
          (this.byte(head + 1) << 8) |
          (this.byte(head + 2) << 16) |
          (this.byte(head + 3) << 24);
        const start = (head + 4) % this.capacity;
        const frame = new Uint8Array(len);
        const first = Math.min(len, this.capacity - start);
        frame.set(this.data.subarray(start, start + first), 0);
        if (first < len) frame.set(this.data.subarray(0, len - first), first);
        head = (start + len) % this.capacity;
        onFrame(frame);
      }
      Atomics.store(this.ctrl, HEAD, head);
      Atomics.notify(this.ctrl, HEAD);
    }
  }

  byte(i) {
    return this.data[i % this.capacity];
  }

  stop() {
    this.running = false;
  }
}
