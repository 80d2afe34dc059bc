import { defineConfig } from 'vitest/config';

// Generous limits: the first test opens an engine or an embedded database, which takes a moment.
export default defineConfig({ test: { testTimeout: 30_000, hookTimeout: 60_000 } });
