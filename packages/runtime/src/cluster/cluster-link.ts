import { connect, type Msg, type NatsConnection, type Service, type Subscription } from 'nats';
import type { ActorCell } from '../actor/actor-cell.js';
import type { ActorSystem, RemotePlacement } from '../actor/actor-system.js';
import type { KindRegistry } from '../actor/kind-registry.js';
import type { DeathNotice, ExitReason } from '../actor/message.js';
import { isPendingAsk } from '../actor/pending-ask.js';
import type { MessageHeaders } from '../actor/tracing-channels.js';
import {
  ActorStoppedError,
  NodeDownError,
  PlacementUnavailableError,
  UnknownActorKindError,
} from '../errors.js';
import type { MailboxOptions, ReplyTo } from '../mailbox/mailbox.js';
import type { ActorChildSpec } from '../supervisor/child-spec.js';
import type { ChildParent, SupervisedChild } from '../supervisor/supervised-child.js';
import { MessageCodec } from '../threads/codec.js';
import { ClusterActorChild, ClusterRef } from './cluster-actor.js';
import { fromNatsHeaders, toNatsHeaders } from './nats-message-headers.js';
import { NodeLiveness } from './node-liveness.js';
import { ClusterSubjects, nodeOf } from './subjects.js';

/** Options of distributed mode. */
export interface ClusterOptions {
  /** Cluster name: nodes with the same name (and NATS server) form one cluster (default `zephyr`). */
  readonly name?: string;
  /** Whether this node accepts cluster-placed actors (default: true when it has actor modules). */
  readonly hostActors?: boolean;
  /** Liveness ping interval (default 250 ms). */
  readonly heartbeatMs?: number;
  /** Silence after which a node is declared down (default 1000 ms). */
  readonly downAfterMs?: number;
}

/**
 * This process's membership in a cluster: the NATS connection, the subscriptions that deliver
 * messages and lifecycle requests to actors hosted here, and node liveness. Also the placement
 * that puts supervised actors on live nodes.
 */
export class ClusterLink implements RemotePlacement {
  /** Cluster-placed actors this node supervises, by address. */
  readonly hosted = new Map<string, ClusterActorChild>();
  private readonly subjects: ClusterSubjects;
  private readonly codec: MessageCodec;
  private readonly liveness: NodeLiveness;
  /** Cluster-placed actors running in this process, with their subscriptions and supervisor node. */
  private readonly guests = new Map<string, { cell: ActorCell; sub: Subscription; supervisor: string }>();
  private readonly nodeWatchers = new Map<string, Set<(notice: DeathNotice) => void>>();
  private service: Service | null = null;
  private next = 0;
  private closed = false;

  private constructor(
    readonly system: ActorSystem,
    private readonly nc: NatsConnection,
    private readonly kinds: KindRegistry,
    private readonly options: ClusterOptions,
  ) {
    this.subjects = new ClusterSubjects(options.name ?? 'zephyr');
    this.codec = new MessageCodec(system);
    this.liveness = new NodeLiveness(
      nc,
      this.subjects.serviceName(),
      options.heartbeatMs ?? 250,
      options.downAfterMs ?? 1000,
    );
  }

  /** Connects to NATS, subscribes, registers this node's service and runs a first liveness round. */
  static async join(
    system: ActorSystem,
    natsUrl: string,
    kinds: KindRegistry,
    options: ClusterOptions,
  ): Promise<ClusterLink> {
    const nc = await connect({ servers: natsUrl, name: `zephyr-${system.nodeId}` });
    const link = new ClusterLink(system, nc, kinds, options);
    await link.open();
    return link;
  }

  private async open(): Promise<void> {
    const { nc, subjects, system } = this;
    const node = system.nodeId;
    nc.subscribe(subjects.nodeActors(node), { callback: (_err, msg) => this.onActorMessage(msg) });
    nc.subscribe(subjects.control(node), { callback: (_err, msg) => this.onControl(msg) });
    nc.subscribe(subjects.exits(node), { callback: (_err, msg) => this.onExit(msg) });
    // Addresses of other nodes resolve to cluster refs; this node's own unknown ones stay unreachable.
    system.fallbackRoute = (address) =>
      nodeOf(address) === node ? undefined : new ClusterRef(address, this, system, null);
    await nc.flush();
    const hosts = this.options.hostActors ?? this.kinds.size > 0;
    this.service = await nc.services.add({
      name: subjects.serviceName(),
      version: '1.0.0',
      description: 'a Zephyr actor runtime node',
      metadata: { nodeId: node, hosts: String(hosts) },
    });
    this.liveness.onDown((nodeId) => this.nodeDown(nodeId));
    await this.liveness.start();
  }

  /** Live nodes (this one included). */
  liveNodes(): string[] {
    return this.liveness.live().map((n) => n.nodeId);
  }

  /** Pings now; resolves with the live nodes. */
  async refreshNodes(): Promise<string[]> {
    return (await this.liveness.refresh()).map((n) => n.nodeId);
  }

  isLive(nodeId: string): boolean {
    return this.liveness.isLive(nodeId);
  }

  /** A live node that hosts actors, round-robin. */
  pickNode(): string {
    const candidates = this.liveness
      .live()
      .filter((n) => n.hostsActors)
      .map((n) => n.nodeId)
      .sort();
    const node = candidates[this.next++ % Math.max(1, candidates.length)];
    if (node === undefined) throw new PlacementUnavailableError('no live cluster node hosts actors');
    return node;
  }

  createActor(spec: ActorChildSpec, parent: ChildParent, address: string) {
    // Cluster-placed ids start with `c`: their subject does not name the hosting node.
    const clusterAddress = address.replace('/', '/c');
    const child = new ClusterActorChild(this.system, this, spec, parent, clusterAddress);
    this.system.addRoute(child.ref);
    return { child, handle: child.ref };
  }

  publish(address: string, msg: unknown, headers?: MessageHeaders): void {
    if (this.closed) return;
    const data = this.codec.encode(msg);
    if (headers === undefined) this.nc.publish(this.subjects.actor(address), data);
    else this.nc.publish(this.subjects.actor(address), data, { headers: toNatsHeaders(headers) });
  }

  request(address: string, msg: unknown, reply: ReplyTo, headers?: MessageHeaders): void {
    const timeout = isPendingAsk(reply) ? reply.timeoutMs : this.system.defaultAskTimeoutMs;
    const options = headers === undefined ? { timeout } : { timeout, headers: toNatsHeaders(headers) };
    this.nc.request(this.subjects.actor(address), this.codec.encode(msg), options).then(
      (answer) => {
        try {
          const [ok, value] = this.codec.decode(answer.data) as [boolean, unknown];
          if (ok) reply.resolve(value);
          else reply.reject(value);
        } catch (err) {
          reply.reject(err);
        }
      },
      (err: unknown) => {
        // 503: nobody subscribes right now (the host died and the restart has not happened yet).
        const code = (err as { code?: string }).code;
        reply.reject(code === '503' ? new ActorStoppedError(address) : err);
      },
    );
  }

  /** A lifecycle request to the node hosting a cluster-placed actor. */
  async control(node: string, op: string, address: string, arg: unknown): Promise<unknown> {
    const answer = await this.nc.request(
      this.subjects.control(node),
      this.codec.encode([op, address, arg, this.system.nodeId]),
      { timeout: this.system.shutdownTimeoutMs + 1000 },
    );
    const [ok, value] = this.codec.decode(answer.data) as [boolean, unknown];
    if (!ok) throw value;
    return value;
  }

  watchNode(address: string, listener: (notice: DeathNotice) => void): () => void {
    const node = nodeOf(address);
    let set = this.nodeWatchers.get(node);
    if (set === undefined) {
      set = new Set();
      this.nodeWatchers.set(node, set);
    }
    const wrapped = (notice: DeathNotice) => listener({ ...notice, address });
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  private replyTo(msg: Msg): ReplyTo | undefined {
    if (msg.reply === undefined || msg.reply === '') return undefined;
    return {
      resolve: (value) => msg.respond(this.codec.encode([true, value === undefined ? null : value])),
      reject: (error) => msg.respond(this.codec.encode([false, error])),
    };
  }

  /** Decodes a message from the wire; one that cannot be decoded is dead-lettered and its asker told. */
  private decodeMessage(address: string, msg: Msg, reply: ReplyTo | undefined): { value: unknown } | null {
    try {
      return { value: this.codec.decode(msg.data) };
    } catch (err) {
      this.system.deadLetter({ recipient: address, message: String(err), reason: 'unreachable' });
      reply?.reject(err);
      return null;
    }
  }

  private onActorMessage(msg: Msg): void {
    const address = msg.subject.split('.').slice(-2).join('/');
    const reply = this.replyTo(msg);
    const decoded = this.decodeMessage(address, msg, reply);
    if (decoded !== null) this.system.deliver(address, decoded.value, reply, fromNatsHeaders(msg));
  }

  private onGuestMessage(address: string, msg: Msg): void {
    const guest = this.guests.get(address);
    const reply = this.replyTo(msg);
    const message = this.decodeMessage(address, msg, reply);
    if (message === null) return;
    const decoded = message.value;
    if (guest === undefined) {
      this.system.deadLetter({ recipient: address, message: decoded, reason: 'stopped' });
      reply?.reject(new ActorStoppedError(address));
      return;
    }
    guest.cell.deliver(decoded, reply, fromNatsHeaders(msg));
  }

  private onControl(msg: Msg): void {
    const answer = (ok: boolean, value: unknown) =>
      msg.respond(this.codec.encode([ok, value === undefined ? null : value]));
    let op: string;
    let address: string;
    let arg: unknown;
    let supervisor: string;
    try {
      [op, address, arg, supervisor] = this.codec.decode(msg.data) as [string, string, unknown, string];
    } catch (err) {
      answer(false, err);
      return;
    }
    this.runControl(op, address, arg, supervisor).then(
      (value) => answer(true, value),
      (err: unknown) => answer(false, err),
    );
  }

  private async runControl(op: string, address: string, arg: unknown, supervisor: string): Promise<unknown> {
    const guest = this.guests.get(address);
    switch (op) {
      case 'spawn': {
        const [kind, mailbox] = arg as [string, MailboxOptions | null];
        const actor = this.kinds.get(kind);
        if (actor === undefined) throw new UnknownActorKindError(kind, `node ${this.system.nodeId}`);
        if (guest !== undefined) await this.dropGuest(address, { type: 'shutdown' });
        const parent: ChildParent = {
          childExited: (child: SupervisedChild, reason: ExitReason) => {
            this.nc.publish(this.subjects.exits(supervisor), this.codec.encode([child.address, reason]));
          },
        };
        const cell = this.system.createCell(
          { id: address, actor, ...(mailbox !== null ? { mailbox } : {}) },
          parent,
          address,
        );
        const sub = this.nc.subscribe(this.subjects.actor(address), {
          callback: (_err, m) => this.onGuestMessage(address, m),
        });
        this.guests.set(address, { cell, sub, supervisor });
        cell.start();
        return true;
      }
      case 'halt':
        if (guest === undefined) throw new ActorStoppedError(address);
        await guest.cell.halt(arg);
        return true;
      case 'resume':
        if (guest === undefined) throw new ActorStoppedError(address);
        await guest.cell.resume(arg as number);
        return true;
      case 'stop':
        await this.dropGuest(address, arg as ExitReason);
        return true;
      default:
        throw new Error(`unknown cluster control "${op}"`);
    }
  }

  private async dropGuest(address: string, reason: ExitReason): Promise<void> {
    const guest = this.guests.get(address);
    if (guest === undefined) return;
    this.guests.delete(address);
    guest.sub.unsubscribe();
    await guest.cell.stop(reason);
  }

  private onExit(msg: Msg): void {
    let exit: [string, ExitReason];
    try {
      exit = this.codec.decode(msg.data) as [string, ExitReason];
    } catch {
      return; // Not from a Zephyr node of this cluster.
    }
    this.hosted.get(exit[0])?.exited(exit[1]);
  }

  private nodeDown(nodeId: string): void {
    const error = new NodeDownError(nodeId);
    for (const child of this.hosted.values()) child.nodeDown(nodeId);
    // Actors hosted here whose supervisor died are stopped, as OTP links would: nobody supervises them.
    for (const [address, guest] of this.guests) {
      if (guest.supervisor === nodeId) void this.dropGuest(address, { type: 'error', error });
    }
    const watchers = this.nodeWatchers.get(nodeId);
    this.nodeWatchers.delete(nodeId);
    for (const listener of watchers ?? [])
      listener({ address: `${nodeId}/`, reason: { type: 'error', error } });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.liveness.stop();
    for (const address of [...this.guests.keys()]) await this.dropGuest(address, { type: 'shutdown' });
    await this.service?.stop().catch(() => {});
    await this.nc.drain().catch(() => {});
  }
}
