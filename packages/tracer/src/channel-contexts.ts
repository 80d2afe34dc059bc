import type { TracingChannelSubscribers } from 'node:diagnostics_channel';

/**
 * The parts of each package's channel payload the tracer reads. They are declared here, by
 * shape, so the tracer depends on no other Zephyr package: the channel names and these shapes
 * are the interface (see each package's `tracing-channels.ts`).
 */

/**
 * `zephyr:server:request:scope` and `zephyr:server:request:end` (from `@zephyr/server`): the
 * payload of `zephyr:server:request`, which the tracer itself does not subscribe to.
 */
export interface RequestChannelContext {
  readonly request: {
    readonly method: string;
    readonly url: string;
    readonly path: string;
    readonly query: string;
    readonly httpVersion: string;
    readonly remoteAddress: string;
    header(name: string): string | undefined;
  };
  readonly route: string;
  readonly status: number;
  readonly error?: unknown;
  /**
   * Set on `zephyr:server:request:scope` to run the request inside a context: it must call `serve`
   * once, synchronously, and return its result. One already set is wrapped, not replaced.
   */
  scope: (<R>(serve: () => R) => R) | undefined;
  /** Set on `zephyr:server:request:scope` to hear of this request's end on `zephyr:server:request:end`. */
  wantsEnd: boolean;
}

/** `zephyr:db:query` (from `@zephyr/db`). */
export interface QueryChannelContext {
  readonly dialect: string;
  sql: string;
  readonly parameterCount: number;
  readonly operation: string | undefined;
  readonly table: string | undefined;
  readonly statementName?: string | undefined;
  readonly rows?: number;
  readonly error?: unknown;
}

/** `zephyr:db:pool:acquire` (from `@zephyr/db`). */
export interface AcquireChannelContext {
  readonly max: number;
  readonly waiting: number;
  readonly waitMs?: number;
  readonly error?: unknown;
}

/** `zephyr:runtime:send` (from `@zephyr/runtime`). */
export interface SendChannelContext {
  readonly address: string;
  readonly message: { readonly type: string };
  readonly placement: 'local' | 'thread' | 'cluster';
  readonly ask: boolean;
  headers: Readonly<Record<string, string>> | undefined;
  readonly error?: unknown;
}

/** `zephyr:runtime:receive` (from `@zephyr/runtime`). */
export interface ReceiveChannelContext {
  readonly address: string;
  readonly message: { readonly type: string };
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly ask: boolean;
  readonly result?: unknown;
  readonly error?: unknown;
}

/** The channel names, one source of truth for the tracer. */
export const CHANNELS = {
  /** A plain channel, published before a request runs, where a subscriber sets its scope. */
  requestScope: 'zephyr:server:request:scope',
  /** A plain channel, published once a request is over, for the requests whose scope asked for it. */
  requestEnd: 'zephyr:server:request:end',
  query: 'zephyr:db:query',
  acquire: 'zephyr:db:pool:acquire',
  send: 'zephyr:runtime:send',
  receive: 'zephyr:runtime:receive',
} as const;

/**
 * Subscribers for only some of a tracing channel's events. Node skips an event with no handler
 * (its types ask for all five), and an event nobody listens to costs no call per publish.
 */
export function someEvents<T extends object>(
  handlers: Partial<TracingChannelSubscribers<T>>,
): TracingChannelSubscribers<T> {
  return handlers as TracingChannelSubscribers<T>;
}
