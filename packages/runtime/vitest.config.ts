import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/build-runtime.ts'],
    // Thread and cluster tests start workers and processes; keep files from competing for 2 cores.
    fileParallelism: false,
    testTimeout: 30_000,
  },
});
