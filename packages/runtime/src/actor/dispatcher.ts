import { RingQueue } from '../mailbox/ring-queue.js';

/** Something the dispatcher runs: an actor with queued messages. */
export interface Runnable {
  /** Processes up to `budget` messages; returns true when more are waiting. */
  run(budget: number): boolean;
}

/** Told around every actor turn (worker threads: the handler watchdog, which makes a turn one handler). */
export interface TurnObserver {
  /**
   * An actor's turn starts; returns how many messages it may handle, at most `budget`. A watchdog
   * timing each handler answers 1: a turn of many messages would add their times up.
   */
  begin(runnable: Runnable, budget: number): number;
  end(): void;
}

/**
 * Runs ready actors. One microtask drains many actors and many messages per actor, which is what
 * makes a tell cheap (no task per message). After `sliceMs` of continuous work it continues on a
 * `setImmediate` instead, so timers and I/O callbacks get their turn and actors never starve the
 * event loop.
 */
export class Dispatcher {
  private readonly ready = new RingQueue<Runnable>(64);
  private scheduled = false;
  /** Set on worker threads whose actors have handler deadlines; null keeps the loop as it was. */
  observer: TurnObserver | null = null;

  /**
   * @param throughput - messages one actor handles before the next ready actor gets a turn
   * @param sliceMs - work done in one event-loop turn before yielding to I/O
   */
  constructor(
    private readonly throughput = 1024,
    private readonly sliceMs = 4,
  ) {}

  /** Queues an actor that has messages and is not already queued. */
  schedule(runnable: Runnable): void {
    this.ready.push(runnable);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.drain);
    }
  }

  private readonly drain = (): void => {
    const start = performance.now();
    let turns = 0;
    for (let r = this.ready.shift(); r !== undefined; r = this.ready.shift()) {
      let more: boolean;
      const observer = this.observer;
      const budget = observer === null ? this.throughput : observer.begin(r, this.throughput);
      try {
        more = r.run(budget);
      } catch (err) {
        // Actors catch their handlers' errors, so this is a runtime bug: surface it as an uncaught
        // exception, after the rest of the ready queue has had its turn.
        queueMicrotask(() => {
          throw err;
        });
        more = false;
      }
      observer?.end();
      if (more) this.ready.push(r);
      // Reading the clock every 8 actors keeps its cost off the per-message path.
      if ((++turns & 7) === 0 && performance.now() - start > this.sliceMs && this.ready.size > 0) {
        setImmediate(this.drain);
        return;
      }
    }
    this.scheduled = false;
  };
}
