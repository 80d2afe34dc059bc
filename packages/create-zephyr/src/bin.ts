#!/usr/bin/env node
import { CreateError } from './create-error.js';
import { createUsage } from './create-options.js';
import { runCreate } from './run-create.js';

try {
  process.exitCode = await runCreate(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
} catch (err) {
  if (!(err instanceof CreateError)) throw err;
  const usage = err.code === 'ZEPHYR_ERR_INVALID_ARGUMENT' ? `\n${createUsage('create-zephyr')}` : '';
  process.stderr.write(`create-zephyr: ${err.message} (${err.code})\n${usage}`);
  process.exitCode = err.code === 'ZEPHYR_ERR_INVALID_ARGUMENT' ? 2 : 1;
}
