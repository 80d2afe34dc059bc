#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { runCli } from './main.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const code = await runCli(
  process.argv.slice(2),
  {
    cwd: process.cwd(),
    env: process.env,
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  },
  version,
);
// Exit now: a command has released what it opened, and a stray timer in a library must not keep a
// finished `zephyr db migrate` or a drained `zephyr start` alive. (stdout/stderr are synchronous on Linux.)
process.exit(code);
