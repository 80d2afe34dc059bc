import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { loadConfig, setupTracing } from 'zephyr';
import { playgroundSettings } from './settings.js';

// Actor threads load this module first (see `modules` in main.ts). Each thread has its own
// channels and OpenTelemetry SDK, so with `tracing.enabled` an actor thread sets tracing up from
// the same configuration as the main thread: an actor's work there (POST /checksum) is then a
// span of the request that asked for it, carried over in the message's trace headers.
if (!isMainThread) {
  const config = loadConfig({ cwd: fileURLToPath(new URL('..', import.meta.url)) });
  const { tracing } = playgroundSettings(config, process.env);
  if (tracing !== undefined) setupTracing(tracing);
}
