// What `zephyr dev`'s supervisor and each generation of the app say to each other over the
// node:cluster IPC channel, and the environment a generation is started with.

/** The port every generation listens on (the supervisor resolves a `0` once). */
export const DEV_PORT_ENV = 'ZEPHYR_DEV_PORT';
/** The address every generation binds. */
export const DEV_HOST_ENV = 'ZEPHYR_DEV_HOST';
/** The watched root: errors are shown relative to it, and frames under it are the app's. */
export const DEV_ROOT_ENV = 'ZEPHYR_DEV_ROOT';
/** The generation's number, from 1. */
export const DEV_GENERATION_ENV = 'ZEPHYR_DEV_GENERATION';

/** Generation → supervisor: the app loaded and its engine is listening. */
export interface ReadyMessage {
  type: 'zephyr-dev:ready';
  engine: string;
  engineReason: string;
}

/** Generation → supervisor: the app did not load or listen; the generation exits. */
export interface FailedMessage {
  type: 'zephyr-dev:failed';
  /** The error as a person reads it, with a code frame where one was found. */
  report: string;
}

/** Supervisor → generation: a newer generation serves; hand over, drain, exit. */
export interface DrainMessage {
  type: 'zephyr-dev:drain';
}

/**
 * Generation → supervisor, and the supervisor's echo back: sent once the generation has stopped
 * accepting. The IPC channel is ordered both ways, so when the echo arrives the supervisor has
 * taken in the stop (node:cluster's round-robin `close`, sent before it) and every connection it
 * handed over before that has reached this generation and been refused back to it, to go to the
 * newer generation. A generation that exited before that would strand such a connection in the
 * supervisor, accepted and never answered.
 */
export interface StoppedAcceptingMessage {
  type: 'zephyr-dev:stopped-accepting';
}

function hasType(value: unknown, type: string): boolean {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type;
}

export function isReadyMessage(value: unknown): value is ReadyMessage {
  return hasType(value, 'zephyr-dev:ready');
}

export function isFailedMessage(value: unknown): value is FailedMessage {
  return hasType(value, 'zephyr-dev:failed') && typeof (value as FailedMessage).report === 'string';
}

export function isDrainMessage(value: unknown): value is DrainMessage {
  return hasType(value, 'zephyr-dev:drain');
}

export function isStoppedAcceptingMessage(value: unknown): value is StoppedAcceptingMessage {
  return hasType(value, 'zephyr-dev:stopped-accepting');
}
