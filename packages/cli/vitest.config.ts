import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The scaffold tests pack every package once and share the tarballs.
    globalSetup: ['./test/pack-tarballs.ts'],
    // Files start servers, databases and package installs: keep them from competing for 2 cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
