import { type NatsConnection, RequestStrategy, type ServiceClient } from 'nats';
import { isNodeId } from './wire-schemas.js';

/** What liveness knows about a node. */
export interface NodeInfo {
  readonly nodeId: string;
  /** Whether the node accepts cluster-placed actors. */
  readonly hostsActors: boolean;
}

/**
 * Node liveness from NATS service discovery: every node registers a NATS micro service, and each
 * node pings them all (`$SRV.PING`) every `intervalMs`. A node that misses answers for `downAfterMs`
 * is declared down once. This is NATS's own discovery protocol, not a home-made one; the server
 * drops a killed process's connection, so its service stops answering at once.
 *
 * A broker outage is not a node death: silence counts only while this node is connected. While
 * disconnected nobody is declared down, and on reconnect every node gets a fresh `downAfterMs`
 * to answer again (their clients reconnect too).
 */
export class NodeLiveness {
  private readonly lastSeen = new Map<string, { at: number; info: NodeInfo }>();
  private readonly client: ServiceClient;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private connected = true;
  private readonly downListeners = new Set<(nodeId: string) => void>();

  constructor(
    nc: NatsConnection,
    private readonly serviceName: string,
    private readonly intervalMs: number,
    private readonly downAfterMs: number,
  ) {
    this.client = nc.services.client({ strategy: RequestStrategy.Timer, maxWait: Math.min(250, intervalMs) });
  }

  start(): Promise<void> {
    return this.round();
  }

  /** Live nodes as of the last ping round. */
  live(): NodeInfo[] {
    return [...this.lastSeen.values()].map((v) => v.info);
  }

  isLive(nodeId: string): boolean {
    return this.lastSeen.has(nodeId);
  }

  onDown(listener: (nodeId: string) => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  /** The connection to NATS dropped: silence means nothing until it is back. */
  disconnected(): void {
    this.connected = false;
  }

  /** Reconnected: every known node gets a fresh grace period, and a round runs now. */
  reconnected(): void {
    this.connected = true;
    const now = Date.now();
    for (const seen of this.lastSeen.values()) seen.at = now;
    void this.round(false);
  }

  /** Pings now and resolves with the live nodes (used while waiting for nodes to join). */
  async refresh(): Promise<NodeInfo[]> {
    await this.round(false);
    return this.live();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async round(reschedule = true): Promise<void> {
    const startedAt = Date.now();
    let answered = false;
    if (this.connected) {
      try {
        const answers = await this.client.ping(this.serviceName);
        for await (const identity of answers) {
          const nodeId = identity.metadata?.nodeId;
          // Answers come off the wire too: an id that could not be a subject token is ignored.
          if (!isNodeId(nodeId)) continue;
          this.lastSeen.set(nodeId, {
            at: Date.now(),
            info: { nodeId, hostsActors: identity.metadata?.hosts === 'true' },
          });
        }
        answered = true;
      } catch {
        // A failed round (e.g. the connection dropped mid-round) proves nothing about other nodes.
      }
    }
    // Only a round that went out over a live connection can show that a node fell silent.
    if (answered && this.connected && !this.stopped) {
      for (const [nodeId, seen] of this.lastSeen) {
        if (startedAt - seen.at > this.downAfterMs) {
          this.lastSeen.delete(nodeId);
          for (const listener of this.downListeners) {
            try {
              listener(nodeId);
            } catch (err) {
              console.error('[zephyr/runtime] node-down listener threw', err);
            }
          }
        }
      }
    }
    if (reschedule && !this.stopped) {
      this.timer = setTimeout(() => void this.round(), this.intervalMs);
      this.timer.unref();
    }
  }
}
