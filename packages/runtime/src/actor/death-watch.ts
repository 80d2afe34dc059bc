import type { DeathNotice, ExitReason } from './message.js';

type Listener = (notice: DeathNotice) => void;

/**
 * The watchers of one actor, wherever it runs (this thread, a worker, another node): each is told
 * once when the actor stops, and a watcher added after the stop began is told at once (on a
 * microtask, like every other notice).
 */
export class DeathWatch {
  readonly #listeners = new Set<Listener>();

  /** Adds a watcher; `exit` is the actor's exit reason if it has begun to stop. Returns an unwatch. */
  add(listener: Listener, address: string, exit: ExitReason | null): () => void {
    if (exit !== null) {
      const notice = { address, reason: exit };
      queueMicrotask(() => listener(notice));
      return () => {};
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every watcher; one that throws is reported to `onError` and the others still hear. */
  notify(address: string, reason: ExitReason, onError: (error: unknown) => void): void {
    const notice: DeathNotice = { address, reason };
    for (const listener of this.#listeners) {
      try {
        listener(notice);
      } catch (err) {
        onError(err);
      }
    }
    this.#listeners.clear();
  }
}
