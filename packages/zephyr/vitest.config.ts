import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The README examples and the pack-and-install test spawn node and tsc: seconds each on a
    // loaded 2-core machine, well past vitest's 5 s default.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
