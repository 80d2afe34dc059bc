/**
 * FIFO lock: PGlite is one single-user backend, so a transaction must own it exclusively; callers
 * queue here in arrival order instead of interleaving statements into someone else's transaction.
 */
export class ConnectionMutex {
  #locked = false;
  readonly #queue: (() => void)[] = [];

  async lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
  }

  unlock(): void {
    const next = this.#queue.shift();
    if (next === undefined) this.#locked = false;
    else next();
  }
}
