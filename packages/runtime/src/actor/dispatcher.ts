import { RingQueue } from '../mailbox/ring-queue.js';
import { LoopTurn } from './loop-turn.js';

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
 * Stops and restarts the flow of messages into a thread (a worker's port), so that the thread can
 * yield to its event loop while more messages wait outside the JS heap.
 */
export interface InboundGate {
  pause(): void;
  resume(): void;
}

/**
 * Runs ready actors. One microtask drains many actors and many messages per actor, which is what
 * makes a tell cheap (no task per message). After `sliceMs` of continuous work it continues on a
 * `setImmediate` instead, so timers and I/O callbacks get their turn and actors never starve the
 * event loop.
 *
 * A message from outside the thread for an idle actor is handled at once instead (see
 * {@link enterNow}), under the same slice rule.
 */
export class Dispatcher {
  private readonly ready = new RingQueue<Runnable>(64);
  private scheduled = false;
  /** True while a handler runs, queued or at once: a delivery from inside one is queued. */
  private running = false;
  /** Handlers run at once since the event loop last turned, and when the first of them started. */
  private nowTurns = 0;
  private nowSliceStart = 0;
  private paused = false;
  /** Set on worker threads whose actors have handler deadlines; null keeps the loop as it was. */
  observer: TurnObserver | null = null;
  /** Set on worker threads: paused when handlers run at once have used up a slice. */
  inbound: InboundGate | null = null;

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

  /**
   * Whether `runnable` may handle a message now, without queueing it: nothing runs, nothing is
   * queued to run, and this event-loop turn has time left. On true the caller handles exactly one
   * message, then calls {@link exitNow}.
   *
   * Why: a message queued in a long-lived mailbox is a young object stored in an old one. Each such
   * store makes V8's next scavenge visit that page, and with any such page the scavenge runs as a
   * parallel job that wakes V8's helper threads. On a worker answering one CPU-heavy request at a
   * time, the requests then wait in the port (outside the heap) and none of that happens.
   */
  enterNow(runnable: Runnable): boolean {
    if (this.running || this.scheduled || this.paused) return false;
    this.running = true;
    if (this.nowTurns++ === 0) {
      this.nowSliceStart = performance.now();
      // The event loop has turned once this runs: timers and I/O had their chance.
      this.nowSliceEnd.request();
    }
    this.observer?.begin(runnable, 1);
    return true;
  }

  /** Ends a turn begun by {@link enterNow}. */
  exitNow(): void {
    this.observer?.end();
    this.running = false;
    if (this.sliceUsedUp(this.nowTurns, this.nowSliceStart)) {
      // Out of time: later messages wait outside the heap (or queue, without a gate) until the
      // event loop has turned.
      this.paused = true;
      this.inbound?.pause();
    }
  }

  /**
   * The slice rule of both ways to run handlers: past `sliceMs` since `since`, looked at every 8
   * turns (reading the clock every turn would put its cost on the per-message path).
   */
  private sliceUsedUp(turns: number, since: number): boolean {
    return (turns & 7) === 0 && performance.now() - since > this.sliceMs;
  }

  private readonly nowSliceEnd = new LoopTurn(() => {
    this.nowTurns = 0;
    if (!this.paused) return;
    this.paused = false;
    this.inbound?.resume();
  });

  private readonly drain = (): void => {
    const start = performance.now();
    let turns = 0;
    for (let r = this.ready.shift(); r !== undefined; r = this.ready.shift()) {
      let more: boolean;
      const observer = this.observer;
      const budget = observer === null ? this.throughput : observer.begin(r, this.throughput);
      this.running = true;
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
      this.running = false;
      observer?.end();
      if (more) this.ready.push(r);
      if (this.sliceUsedUp(++turns, start) && this.ready.size > 0) {
        setImmediate(this.drain);
        return;
      }
    }
    this.scheduled = false;
  };
}
