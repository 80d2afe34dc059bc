import type { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context } from '@opentelemetry/api';

/**
 * A "store" for `TracingChannel#start.bindStore`, which only ever calls `store.run(value, fn)`.
 * Running through the OTel API's `context.with` makes a span current under whatever context
 * manager the app registered (ours from `setupTracing`, or its own SDK's) for the whole request
 * or handler; a real AsyncLocalStorage of our own would be invisible to the app's SDK.
 */
export const activeContextStore = {
  run<R>(value: Context, fn: () => R): R {
    return context.with(value, fn);
  },
} as unknown as AsyncLocalStorage<Context>;
