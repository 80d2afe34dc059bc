import type { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context, ROOT_CONTEXT } from '@opentelemetry/api';

/**
 * A "store" for `TracingChannel#start.bindStore`, which only ever calls `store.run(value, fn)`.
 * Running through the OTel API's `context.with` makes a span current under whatever context
 * manager the app registered (ours from `setupTracing`, or its own SDK's) for the whole request
 * or handler; a real AsyncLocalStorage of our own would be invisible to the app's SDK.
 *
 * A transform that returns `undefined` means "no trace here" (a request nobody samples and no
 * caller traces): `fn` then runs without entering any context. On Node 20 the first
 * `AsyncLocalStorage#run` installs promise hooks that tax every promise of the process from
 * then on, so an unsampled request must not be what turns them on. Only an ambient context
 * (one left current by whatever called in) is cleared, so the work never nests under it.
 */
export const activeContextStore = {
  run<R>(value: Context | undefined, fn: () => R): R {
    if (value !== undefined) return context.with(value, fn);
    return context.active() === ROOT_CONTEXT ? fn() : context.with(ROOT_CONTEXT, fn);
  },
} as unknown as AsyncLocalStorage<Context | undefined>;
