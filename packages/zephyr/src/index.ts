// The meta-package: one import for all of Zephyr. Each package is also installable alone.
export * from '@zephyr/config';
/** Each package whole, for the names the flat exports above resolve to another package. */
export * as config from '@zephyr/config';
// Names more than one package exports: the flat import gets the one an app meets most (request
// validation, framework options, config sizes); every package's own is in its namespace below.
export { parseSize } from '@zephyr/config';
export * from '@zephyr/db';
export * as db from '@zephyr/db';
export type { AttachDevtoolsOptions, Devtools } from '@zephyr/devtools';
// Devtools in a namespace: `attachDevtools` below is the one with the tracer's ring wired in.
export * as devtools from '@zephyr/devtools';
export * from '@zephyr/runtime';
export * as runtime from '@zephyr/runtime';
export * from '@zephyr/server';
export * as server from '@zephyr/server';
export { InvalidArgumentError, ValidationError } from '@zephyr/server';
export * from '@zephyr/tracer';
export * as tracer from '@zephyr/tracer';
export * from '@zephyr/uring';
export * as uring from '@zephyr/uring';

export { loadConfig, type ZephyrConfig, zephyrConfigSections } from './config.js';
export { attachDevtools } from './devtools.js';
