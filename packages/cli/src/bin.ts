#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { runCli } from './main.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const result = runCli(process.argv.slice(2), process.cwd(), process.env, version);
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.code;
