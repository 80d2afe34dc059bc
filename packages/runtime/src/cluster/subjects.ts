/**
 * NATS subjects of one cluster. Addresses are `node/id`; cluster-placed actors get ids starting
 * with `c`, so their subject is independent of which node hosts them (a restart elsewhere keeps
 * every ref valid), while other actors are reached through their node's wildcard subscription.
 */
export class ClusterSubjects {
  constructor(private readonly cluster: string) {}

  /** Where messages to `address` are published. */
  actor(address: string): string {
    const [node, id = ''] = address.split('/');
    return id.startsWith('c') ? `zph.${this.cluster}.c.${node}.${id}` : `zph.${this.cluster}.a.${node}.${id}`;
  }

  /** Wildcard covering every non-cluster-placed actor of `node`. */
  nodeActors(node: string): string {
    return `zph.${this.cluster}.a.${node}.>`;
  }

  /** Lifecycle requests (spawn, halt, resume, stop) to the node hosting cluster-placed actors. */
  control(node: string): string {
    return `zph.${this.cluster}.ctl.${node}`;
  }

  /** Exit reports of cluster-placed actors, to the node of their supervisor. */
  exits(node: string): string {
    return `zph.${this.cluster}.exit.${node}`;
  }

  /** Topic publishes every node receives (the topic relay: WebSocket `app.publish` across processes). */
  topics(): string {
    return `zph.${this.cluster}.topic`;
  }

  /** The NATS micro service every node registers; discovery pings to it are the liveness check. */
  serviceName(): string {
    return `zephyr-node-${this.cluster}`;
  }
}

/** The node id an address belongs to. */
export function nodeOf(address: string): string {
  return address.slice(0, address.indexOf('/'));
}
