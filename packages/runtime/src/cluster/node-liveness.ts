import { type NatsConnection, RequestStrategy, type ServiceClient } from 'nats';

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
 */
export class NodeLiveness {
  private readonly lastSeen = new Map<string, { at: number; info: NodeInfo }>();
  private readonly client: ServiceClient;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly downListeners = new Set<(nodeId: string) => void>();
  private firstRound: Promise<void> | null = null;

  constructor(
    nc: NatsConnection,
    private readonly serviceName: string,
    private readonly intervalMs: number,
    private readonly downAfterMs: number,
  ) {
    this.client = nc.services.client({ strategy: RequestStrategy.Timer, maxWait: Math.min(250, intervalMs) });
  }

  start(): Promise<void> {
    this.firstRound = this.round();
    return this.firstRound;
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
    const now = Date.now();
    try {
      const answers = await this.client.ping(this.serviceName);
      for await (const identity of answers) {
        const nodeId = identity.metadata?.nodeId;
        if (nodeId === undefined) continue;
        this.lastSeen.set(nodeId, {
          at: Date.now(),
          info: { nodeId, hostsActors: identity.metadata?.hosts === 'true' },
        });
      }
    } catch {
      // A failed round (e.g. a reconnect) counts as silence; nodes time out only after downAfterMs.
    }
    for (const [nodeId, seen] of this.lastSeen) {
      if (now - seen.at > this.downAfterMs) {
        this.lastSeen.delete(nodeId);
        for (const listener of this.downListeners) listener(nodeId);
      }
    }
    if (reschedule && !this.stopped) {
      this.timer = setTimeout(() => void this.round(), this.intervalMs);
      this.timer.unref();
    }
  }
}
