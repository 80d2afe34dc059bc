import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One file at a time: the restart test stops PostgreSQL, which would break other files mid-query.
    fileParallelism: false,
    // Files share one worker so the booted PGlite is cloned rather than booted again per file.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
