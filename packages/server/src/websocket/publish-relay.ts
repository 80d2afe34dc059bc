/**
 * Carries `app.publish` to other processes and their publishes back, so subscribers anywhere
 * get every message: `@zephyr/runtime`'s `system.topicRelay()` (over NATS, in distributed mode)
 * has this shape, and so can any other bus. The server depends on this interface only.
 *
 * @example
 * ```ts
 * const system = await createActorSystem({ config: { supervisor_mode: 'distributed' } });
 * app.relayPublishes(system.topicRelay());
 * ```
 */
export interface PublishRelay {
  /**
   * Sends a publish made in this process to the others (this process has already delivered it
   * to its own subscribers). It should not throw when the bus is away; if it does, the error is
   * logged and the local delivery stands.
   */
  send(topic: string, payload: string | Uint8Array, isBinary: boolean): void;
  /** Hands the publishes of other processes to `deliver`, which fans them out here. */
  receive(deliver: (topic: string, payload: string | Uint8Array, isBinary: boolean) => void): void;
}

/** Whether `value` has the {@link PublishRelay} shape. */
export function isPublishRelay(value: unknown): value is PublishRelay {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<PublishRelay>;
  return typeof r.send === 'function' && typeof r.receive === 'function';
}
