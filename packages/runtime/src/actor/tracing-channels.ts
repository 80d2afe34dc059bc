import { tracingChannel } from 'node:diagnostics_channel';
import type { Message } from './message.js';

/**
 * Metadata carried beside a message, never inside it (W3C `traceparent`, `tracestate`,
 * `baggage`): across threads in the link frame, across nodes as NATS headers.
 */
export type MessageHeaders = Readonly<Record<string, string>>;

/** Where a message goes: an actor in this thread, on a worker thread, or on a cluster node. */
export type MessagePlacement = 'local' | 'thread' | 'cluster';

/** What `zephyr:runtime:send` publishes for one tell or ask. */
export interface SendTraceContext {
  /** The recipient's address. */
  readonly address: string;
  readonly message: Message;
  readonly placement: MessagePlacement;
  /** `true` for an ask (a reply is expected), `false` for a tell. */
  readonly ask: boolean;
  /** Headers to carry with the message; a `start` subscriber sets them. */
  headers: MessageHeaders | undefined;
  /** Why the message could not be handed to its transport (a full mailbox, an unencodable value). */
  error?: unknown;
}

/** What `zephyr:runtime:receive` publishes for one message an actor handles. */
export interface ReceiveTraceContext {
  /** The handling actor's address. */
  readonly address: string;
  readonly message: Message;
  /** The headers the sender's `start` subscriber set, or `undefined`. */
  readonly headers: MessageHeaders | undefined;
  /** `true` when the sender awaits a reply. */
  readonly ask: boolean;
  /** What the handler returned (resolved, for an async handler). */
  result?: unknown;
  /** What the handler threw or rejected with. */
  error?: unknown;
}

/** The tracing channel around each tell or ask handed to its transport (mailbox, thread link, NATS). */
export const sendChannel = tracingChannel<unknown, SendTraceContext>('zephyr:runtime:send');

/**
 * The tracing channel around each message an actor's handler runs for; for an async handler,
 * `asyncStart`/`asyncEnd` fire when its promise settles. `start` runs through `bindStore` stores.
 */
export const receiveChannel = tracingChannel<unknown, ReceiveTraceContext>('zephyr:runtime:receive');

/** Hands a message to `send` inside the send channel; called only when it has subscribers. */
export function traceSend(
  address: string,
  message: Message,
  placement: MessagePlacement,
  ask: boolean,
  send: (headers: MessageHeaders | undefined) => void,
): void {
  const trace: SendTraceContext = { address, message, placement, ask, headers: undefined };
  sendChannel.traceSync(() => send(trace.headers), trace);
}

/**
 * Runs a handler inside the receive channel; called only when it has subscribers. A synchronous
 * handler's `result` (or `error`) is set before `end`; an async one's before `asyncStart`.
 */
export function traceReceive(
  address: string,
  message: unknown,
  headers: MessageHeaders | undefined,
  ask: boolean,
  handle: () => unknown,
): unknown {
  const trace: ReceiveTraceContext = { address, message: message as Message, headers, ask };
  let result: unknown;
  try {
    result = receiveChannel.start.runStores(trace, handle);
  } catch (error) {
    trace.error = error;
    receiveChannel.error.publish(trace);
    receiveChannel.end.publish(trace);
    throw error;
  }
  if (result === null || typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') {
    trace.result = result;
    receiveChannel.end.publish(trace);
    return result;
  }
  receiveChannel.end.publish(trace);
  return Promise.resolve(result).then(
    (value) => {
      trace.result = value;
      receiveChannel.asyncStart.publish(trace);
      receiveChannel.asyncEnd.publish(trace);
      return value;
    },
    (error: unknown) => {
      trace.error = error;
      receiveChannel.error.publish(trace);
      receiveChannel.asyncStart.publish(trace);
      receiveChannel.asyncEnd.publish(trace);
      throw error;
    },
  );
}
