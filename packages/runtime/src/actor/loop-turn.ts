import { MessageChannel } from 'node:worker_threads';

/**
 * Calls `callback` once the event loop has turned (timers and I/O have had their chance), like
 * `setImmediate`, but without a heap object per request.
 *
 * Why: every `setImmediate` links a fresh Immediate into Node's long-lived immediate list, a young
 * object stored in an old one, and any such store makes V8 run the next scavenge as a parallel
 * job that wakes its helper threads. On an actor thread yielding every few handlers that woke each
 * helper ~7x as often as a Piscina worker does, and each wake preempts the actor thread on a core
 * it shares with the event loop (`bench/actor-routes`, BENCHMARKS "Run of 2026-12-03"). A message
 * to a port of our own is delivered by the port's uv_async in a later poll phase, and measured, it
 * leaves the scavenges serial.
 */
export class LoopTurn {
  private channel: MessageChannel | null = null;
  private pending = false;

  constructor(private readonly callback: () => void) {}

  /**
   * Asks for one call after the loop has turned; a request while one is pending is the same one.
   * Like an Immediate, a pending request keeps the thread alive until it has run: a worker whose
   * only other handle is the port it has just paused would otherwise exit with the call unmade.
   */
  request(): void {
    if (this.pending) return;
    this.pending = true;
    const channel = this.channel ?? this.open();
    channel.port2.ref();
    channel.port1.postMessage(null);
  }

  private open(): MessageChannel {
    const channel = new MessageChannel();
    const { port1, port2 } = channel;
    port2.on('message', () => {
      this.pending = false;
      port2.unref();
      this.callback();
    });
    // With nothing pending, neither end may keep a process or thread alive.
    port1.unref();
    port2.unref();
    this.channel = channel;
    return channel;
  }
}
