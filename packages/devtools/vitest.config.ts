import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each file starts the app (PGlite, an actor system) and some start Chromium: one at a time on 2 cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
