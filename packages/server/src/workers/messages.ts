/** Environment variable marking a process as a Zephyr worker (set by the primary when forking). */
export const WORKER_ENV = 'ZEPHYR_WORKER';
/** Environment variable carrying the port the primary resolved (a `port: 0` becomes one real port). */
export const WORKER_PORT_ENV = 'ZEPHYR_WORKER_PORT';

/** Worker → primary: the engine is listening. */
export interface ListeningMessage {
  type: 'zephyr:listening';
  engine: string;
  engineReason: string;
  port: number;
}

/** Primary → worker: stop accepting, drain in-flight requests, exit 0. */
export interface ShutdownMessage {
  type: 'zephyr:shutdown';
}

export function isListeningMessage(value: unknown): value is ListeningMessage {
  return (
    typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'zephyr:listening'
  );
}

export function isShutdownMessage(value: unknown): value is ShutdownMessage {
  return (
    typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'zephyr:shutdown'
  );
}
