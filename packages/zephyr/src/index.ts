// The meta-package: one import for all of Zephyr. Each package is also installable alone.
export * from '@zephyr/config';
export * from '@zephyr/db';
export * from '@zephyr/runtime';
export * from '@zephyr/server';
export * from '@zephyr/uring';
export { loadConfig, type ZephyrConfig, zephyrConfigSections } from './config.js';
