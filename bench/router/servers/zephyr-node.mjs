// The same app as zephyr-io_uring.mjs, on the node:http fallback engine.
process.env.ZEPHYR_BENCH_ENGINE = 'node';
await import('./zephyr-io_uring.mjs');
