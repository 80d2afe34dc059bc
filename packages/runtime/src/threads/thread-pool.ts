import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ActorSystem, RemotePlacement } from '../actor/actor-system.js';
import { PlacementUnavailableError } from '../errors.js';
import type { ActorChildSpec } from '../supervisor/child-spec.js';
import type { ChildParent } from '../supervisor/supervised-child.js';
import { WATCHDOG_BYTES, WATCHDOG_CHECK_MS } from './handler-watchdog.js';
import { ThreadActorChild, type WorkerPicker } from './thread-actor.js';
import type { ThreadStartOptions } from './thread-options.js';
import { WorkerHost } from './worker-host.js';

/**
 * The worker script. Workers need JavaScript: from the built package it sits next to this file;
 * when this file runs from `src/` (tests through vitest), the built copy in `dist/` is used, so
 * build the package first.
 */
export function workerEntryUrl(): URL {
  const here = new URL('./worker-entry.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return here;
  const built = new URL(here.href.replace('/src/threads/', '/dist/threads/'));
  if (!existsSync(fileURLToPath(built))) {
    throw new PlacementUnavailableError(
      `worker entry ${fileURLToPath(built)} is missing: build @zephyr/runtime first (tsc -p tsconfig.build.json)`,
    );
  }
  return built;
}

/** Resolves `actor_threads` to a count (`auto`: one per core, minus the main thread). */
export function threadCount(setting: number | 'auto'): number {
  return setting === 'auto' ? Math.max(1, availableParallelism() - 1) : setting;
}

/**
 * Worker threads hosting actors, placed round-robin. A worker that dies is replaced at once; the
 * actors it hosted fail with `WorkerExitedError` and their supervisors restart them.
 */
export class ThreadPool implements RemotePlacement, WorkerPicker {
  private readonly hosts: WorkerHost[] = [];
  private next = 0;
  private closing = false;
  private readonly entry = workerEntryUrl();
  private readonly watchdog: NodeJS.Timeout;

  constructor(
    private readonly system: ActorSystem,
    count: number,
    private readonly modules: readonly string[],
    /** How every worker is started (see thread-options.ts). */
    private readonly start: ThreadStartOptions,
  ) {
    for (let i = 0; i < count; i++) this.hosts.push(this.spawn(i));
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const host of this.hosts) host.checkWatchdog(now);
    }, WATCHDOG_CHECK_MS);
    this.watchdog.unref();
  }

  /** Resolves when every worker has loaded its modules. */
  async ready(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.ready));
  }

  /** Worker thread ids, in placement order (for tests and diagnostics). */
  threadIds(): number[] {
    return this.hosts.map((h) => h.worker.threadId);
  }

  /** The worker thread id hosting `address`, if any. */
  threadOf(address: string): number | undefined {
    return this.hosts.find((h) => h.alive && h.children.has(address))?.worker.threadId;
  }

  private spawn(index: number): WorkerHost {
    const host = new WorkerHost(
      this.entry,
      {
        nodeId: this.system.nodeId,
        index,
        modules: this.modules,
        // A thread's own system hosts actors and nothing more: no threads or cluster of its own.
        config: { ...this.system.config, actor_threads: 0, supervisor_mode: 'local' },
        askTimeoutMs: this.system.defaultAskTimeoutMs,
        shutdownTimeoutMs: this.system.shutdownTimeoutMs,
        watchdog: new SharedArrayBuffer(WATCHDOG_BYTES),
        niceIncrement: this.start.niceIncrement,
      },
      this.system,
      this.start.resourceLimits,
      (dead) => this.replace(dead, index),
    );
    host.ready.catch(() => {});
    return host;
  }

  private replace(dead: WorkerHost, index: number): void {
    if (this.closing || this.hosts[index] !== dead) return;
    this.hosts[index] = this.spawn(index);
  }

  pick(): WorkerHost {
    for (let tries = 0; tries < this.hosts.length; tries++) {
      const host = this.hosts[this.next++ % this.hosts.length];
      if (host?.alive === true) return host;
    }
    throw new PlacementUnavailableError('no live worker thread to place the actor on');
  }

  createActor(spec: ActorChildSpec, parent: ChildParent, address: string) {
    if (this.closing) throw new PlacementUnavailableError('the thread pool is closing');
    const child = new ThreadActorChild(this.system, this, spec, parent, address);
    this.system.addRoute(child.ref);
    return { child, handle: child.ref };
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    await Promise.all(this.hosts.map((h) => h.terminate()));
  }
}
