import { defineConfig } from 'vitest/config';

// templates/ holds the generated apps' own tests: they run inside a generated app, not here.
export default defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 30_000 } });
