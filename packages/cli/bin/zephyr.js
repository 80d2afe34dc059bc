#!/usr/bin/env node
// The `zephyr` command. It runs the compiled CLI in dist/; in a clone before the first build, the
// workspace already links this file, so it says how to build instead of failing with a stack trace.
import { existsSync } from 'node:fs';

const main = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'zephyr: @zephyr/cli is not built yet. From the root of the Zephyr clone run:\n' +
      '  npx -y pnpm@12.4.2 install && npx -y pnpm@12.4.2 exec turbo run build --filter=@zephyr/cli...\n',
  );
  process.exit(1);
}
await import(main.href);
