import type { EngineResponse } from '@zephyr/uring';
import { readFileRange } from '../engine-adapters/inject.js';
import { UnsupportedOptionError } from '../errors.js';

/**
 * Collects the response the app's pipeline gives an upgrade request (a 401 from auth
 * middleware, a 404, a problem body), so a refused upgrade is answered exactly as the same
 * request over plain HTTP would be.
 */
export class UpgradeResponse implements EngineResponse {
  headersSent = false;
  finished = false;
  statusCode = 200;
  readonly headers: Record<string, string | readonly string[]> = {};
  readonly #chunks: Buffer[] = [];
  readonly done: Promise<void>;
  #resolve!: () => void;

  constructor() {
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  get body(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  setHeader(name: string, value: string | readonly string[]): this {
    this.headers[name.toLowerCase()] = typeof value === 'string' ? value : [...value];
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    this.headersSent = true;
    this.#chunks.push(Buffer.from(chunk));
    return true;
  }

  onDrain(_listener: () => void): void {
    // write() never reports backpressure: the chunks go to memory.
  }

  setTrailer(_name: string, _value: string): this {
    // A refused upgrade is answered with a content-length: no trailer section to put them in.
    throw new UnsupportedOptionError(
      'setTrailer: the answer to a refused WebSocket upgrade cannot carry trailers',
    );
  }

  end(chunk?: string | Uint8Array): void {
    if (chunk !== undefined) this.write(chunk);
    this.headersSent = true;
    this.finished = true;
    this.#resolve();
  }

  async sendFile(file: string | number, range?: { offset?: number; length?: number }): Promise<void> {
    this.end(await readFileRange(file, range));
  }

  destroy(): void {
    this.statusCode = 500;
    this.end();
  }
}
