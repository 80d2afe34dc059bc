// `app.publish` across `workers: N`: a worker publishes to its own subscribers and sends the
// message to the primary over the worker channel (node:cluster's IPC); the primary hands it to
// every other worker, which publishes it to its own. Each process frames it once for its own
// subscribers (natively on the io_uring engine).

import cluster from 'node:cluster';

/** Worker ⇄ primary: a message published to `topic` (binary payloads in base64). */
export interface PublishMessage {
  type: 'zephyr:publish';
  topic: string;
  data: string;
  binary: boolean;
}

export function isPublishMessage(value: unknown): value is PublishMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<PublishMessage>;
  return (
    m.type === 'zephyr:publish' &&
    typeof m.topic === 'string' &&
    typeof m.data === 'string' &&
    typeof m.binary === 'boolean'
  );
}

/** A publish as it crosses the channel. */
export function toPublishMessage(
  topic: string,
  payload: string | Uint8Array,
  binary: boolean,
): PublishMessage {
  const data =
    typeof payload === 'string'
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
  return { type: 'zephyr:publish', topic, data, binary: typeof payload !== 'string' || binary };
}

/** The payload of a publish that crossed the channel. */
export function fromPublishMessage(m: PublishMessage): { payload: string | Uint8Array; binary: boolean } {
  return typeof m.data === 'string' && m.binary
    ? { payload: Buffer.from(m.data, 'base64'), binary: true }
    : { payload: m.data, binary: false };
}

/**
 * In a worker: returns the function that sends a local publish to the primary, and delivers
 * the other workers' publishes to `deliver`. Outside a worker: undefined.
 */
export function joinWorkerRelay(
  deliver: (topic: string, payload: string | Uint8Array, binary: boolean) => void,
): ((topic: string, payload: string | Uint8Array, binary: boolean) => void) | undefined {
  const worker = cluster.worker;
  if (!cluster.isWorker || !worker) return undefined;
  process.on('message', (message: unknown) => {
    if (!isPublishMessage(message)) return;
    const { payload, binary } = fromPublishMessage(message);
    deliver(message.topic, payload, binary);
  });
  return (topic, payload, binary) => {
    // A send racing the primary's exit fails quietly: the process is shutting down.
    if (worker.isConnected()) worker.send(toPublishMessage(topic, payload, binary), undefined, () => {});
  };
}
