import { Events, type Msg, type NatsConnection, type NatsError, type Service, type Subscription } from 'nats';
import type { ActorCell } from '../actor/actor-cell.js';
import type { ActorSystem, RemotePlacement } from '../actor/actor-system.js';
import type { KindRegistry } from '../actor/kind-registry.js';
import { type DeathNotice, type ExitReason, isMessage } from '../actor/message.js';
import { isPendingAsk } from '../actor/pending-ask.js';
import type { MessageHeaders } from '../actor/tracing-channels.js';
import {
  ActorStoppedError,
  AskTimeoutError,
  ClusterDisconnectedError,
  InvalidArgumentError,
  NodeDownError,
  PlacementUnavailableError,
  UnknownActorKindError,
} from '../errors.js';
import type { ReplyTo } from '../mailbox/mailbox.js';
import type { ActorChildSpec } from '../supervisor/child-spec.js';
import type { ChildParent, SupervisedChild } from '../supervisor/supervised-child.js';
import { MessageCodec } from '../threads/codec.js';
import { ClusterActorChild, ClusterRef } from './cluster-actor.js';
import { MalformedLog } from './malformed-log.js';
import { connectNats, type NatsConnectionOptions } from './nats-connection.js';
import { fromNatsHeaders, toNatsHeaders } from './nats-message-headers.js';
import { NodeLiveness } from './node-liveness.js';
import { ClusterSubjects, nodeOf } from './subjects.js';
import { createTopicRelay, type TopicRelay } from './topic-relay.js';
import { type Checked, type ControlRequest, checkControl, checkExit, checkReply } from './wire-schemas.js';

/** Options of distributed mode. */
export interface ClusterOptions {
  /** Cluster name: nodes with the same name (and NATS server) form one cluster (default `zephyr`). */
  readonly name?: string;
  /** Whether this node accepts cluster-placed actors (default: true when it has actor modules). */
  readonly hostActors?: boolean;
  /** Liveness ping interval (default 250 ms). */
  readonly heartbeatMs?: number;
  /**
   * Silence after which a node is declared down (default 3000 ms). Counted only while this node
   * reaches NATS, so a broker outage never takes nodes down; keep it above a NATS failover.
   */
  readonly downAfterMs?: number;
  /** Seed servers, credentials, NKeys and TLS for the NATS connection. */
  readonly nats?: NatsConnectionOptions;
  /**
   * Bytes of messages buffered while NATS is unreachable (default 8 MiB); they are sent on
   * reconnect. Past it, `tell` throws and `ask` rejects with `ClusterDisconnectedError`.
   */
  readonly maxBufferedBytes?: number;
  /** Where cluster warnings go, one line each (default `console.warn`). */
  readonly log?: (line: string) => void;
}

/** What a node's cluster link has seen (see `ActorSystem.clusterStats`). */
export interface ClusterStats {
  /** Whether the NATS connection is up right now. */
  readonly connected: boolean;
  /** The NATS server this node is connected to (or last was), `host:port`. */
  readonly server: string;
  /** Reconnections to NATS since the node joined. */
  readonly reconnects: number;
  /** Messages dropped because they failed their subject's schema. */
  readonly malformedDropped: number;
  /** Bytes buffered by sends during the current outage. */
  readonly bufferedBytes: number;
  /** Cluster-placed actors running on this node. */
  readonly hostedActors: number;
}

/** How often malformed messages are logged at most. */
const MALFORMED_LOG_INTERVAL_MS = 10_000;
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

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
  private readonly malformed: MalformedLog;
  private readonly log: (line: string) => void;
  private readonly maxBufferedBytes: number;
  /** Cluster-placed actors running in this process, with their subscriptions and supervisor node. */
  private readonly guests = new Map<string, { cell: ActorCell; sub: Subscription; supervisor: string }>();
  private readonly nodeWatchers = new Map<string, Set<(notice: DeathNotice) => void>>();
  private service: Service | null = null;
  private next = 0;
  private closed = false;
  private connected = true;
  private reconnects = 0;
  private bufferedBytes = 0;
  private relay: TopicRelay | undefined;

  private constructor(
    readonly system: ActorSystem,
    private readonly nc: NatsConnection,
    private readonly kinds: KindRegistry,
    private readonly options: ClusterOptions,
    private readonly url: string,
  ) {
    this.subjects = new ClusterSubjects(options.name ?? 'zephyr');
    this.codec = new MessageCodec(system);
    this.log = options.log ?? ((line) => console.warn(line));
    this.malformed = new MalformedLog(MALFORMED_LOG_INTERVAL_MS, this.log);
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.liveness = new NodeLiveness(
      nc,
      this.subjects.serviceName(),
      options.heartbeatMs ?? 250,
      options.downAfterMs ?? 3000,
    );
  }

  /**
   * Connects to NATS, subscribes, registers this node's service and runs a first liveness round.
   * @throws {NatsUnreachableError} when NATS cannot be reached at startup.
   */
  static async join(
    system: ActorSystem,
    natsUrl: string,
    kinds: KindRegistry,
    options: ClusterOptions,
  ): Promise<ClusterLink> {
    checkClusterOptions(options);
    const nc = await connectNats(natsUrl, `zephyr-${system.nodeId}`, options.nats ?? {});
    const link = new ClusterLink(system, nc, kinds, options, natsUrl);
    try {
      await link.open();
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
    return link;
  }

  private async open(): Promise<void> {
    const { nc, subjects, system } = this;
    const node = system.nodeId;
    this.subscribe(subjects.nodeActors(node), (msg) => this.onActorMessage(msg));
    this.subscribe(subjects.control(node), (msg) => this.onControl(msg));
    this.subscribe(subjects.exits(node), (msg) => this.onExit(msg));
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
    void this.watchStatus();
    await this.liveness.start();
  }

  /** Follows the connection: an outage is logged once, and liveness pauses until it ends. */
  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (this.closed) return;
      if (status.type === Events.Disconnect && this.connected) {
        this.connected = false;
        this.liveness.disconnected();
        this.log(
          `[zephyr/runtime] node ${this.system.nodeId} lost NATS (${this.url}); reconnecting. Local actors keep ` +
            `running; sends are buffered up to ${this.maxBufferedBytes} bytes.`,
        );
      } else if (status.type === Events.Reconnect) {
        this.connected = true;
        this.reconnects++;
        this.bufferedBytes = 0;
        this.liveness.reconnected();
        this.log(`[zephyr/runtime] node ${this.system.nodeId} reconnected to NATS (${String(status.data)})`);
        void this.verifyGuests();
      } else if (status.type === Events.Error) {
        this.log(`[zephyr/runtime] NATS error on node ${this.system.nodeId}: ${String(status.data)}`);
      }
    }
  }

  /** Subscribes with a callback that can never throw into the NATS client. */
  private subscribe(subject: string, handle: (msg: Msg) => void): Subscription {
    return this.nc.subscribe(subject, {
      callback: (err: NatsError | null, msg: Msg) => {
        if (err !== null) {
          this.log(`[zephyr/runtime] subscription ${subject} failed: ${err.message}`);
          return;
        }
        try {
          handle(msg);
        } catch (error) {
          this.malformed.drop(msg.subject, error instanceof Error ? error.message : String(error));
        }
      },
    });
  }

  stats(): ClusterStats {
    return {
      connected: this.connected,
      server: this.nc.getServer(),
      reconnects: this.reconnects,
      malformedDropped: this.malformed.total,
      bufferedBytes: this.bufferedBytes,
      hostedActors: this.guests.size,
    };
  }

  /** This node's topic relay (made on first use; one per link). */
  topicRelay(): TopicRelay {
    this.relay ??= createTopicRelay(this.system.nodeId, this, this.log);
    return this.relay;
  }

  /**
   * Publishes a topic relay frame to every node (this one included: the relay skips its own).
   * Buffered during an outage like any send.
   * @throws {ClusterDisconnectedError} when the outage buffer is full or the link is closed.
   */
  sendTopicFrame(bytes: Uint8Array): void {
    this.send('the topic relay', this.subjects.topics(), bytes);
  }

  /**
   * Delivers every topic relay frame to `handle`; a frame it rejects (by throwing) is counted as
   * malformed and logged at most once per interval.
   */
  onTopicFrame(handle: (bytes: Uint8Array) => void): void {
    this.subscribe(this.subjects.topics(), (msg) => handle(msg.data));
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

  /**
   * Encodes and publishes; while NATS is away the bytes are buffered, up to `maxBufferedBytes`.
   * @throws {InvalidArgumentError} for a message that cannot be encoded.
   * @throws {ClusterDisconnectedError} when the outage buffer is full or the link is closed.
   */
  private send(address: string, subject: string, bytes: Uint8Array, headers?: MessageHeaders): void {
    if (this.closed) throw new ClusterDisconnectedError(address, 'the cluster link is closed');
    if (!this.connected) {
      if (this.bufferedBytes + bytes.length > this.maxBufferedBytes)
        throw new ClusterDisconnectedError(
          address,
          `NATS is unreachable and ${this.bufferedBytes} bytes are already buffered (maxBufferedBytes)`,
        );
      this.bufferedBytes += bytes.length;
    }
    // Trace context rides as NATS headers, beside the payload: the message bytes are the same.
    if (headers === undefined) this.nc.publish(subject, bytes);
    else this.nc.publish(subject, bytes, { headers: toNatsHeaders(headers) });
  }

  /**
   * Returns `msg` if it can be encoded, so a message held back (while its actor is placed) is
   * refused at the send site like one sent at once.
   * @throws {InvalidArgumentError}
   */
  checkSendable(msg: unknown): unknown {
    this.codec.encode(msg);
    return msg;
  }

  /** A tell: throws at the send site when it cannot go (see {@link send}). */
  publish(address: string, msg: unknown, headers?: MessageHeaders): void {
    this.send(address, this.subjects.actor(address), this.codec.encode(msg), headers);
  }

  request(address: string, msg: unknown, reply: ReplyTo, headers?: MessageHeaders): void {
    const timeout = isPendingAsk(reply) ? reply.timeoutMs : this.system.defaultAskTimeoutMs;
    let bytes: Uint8Array;
    try {
      // Encode (and check the outage buffer) before anything is registered with NATS.
      bytes = this.codec.encode(msg);
      if (this.closed) throw new ClusterDisconnectedError(address, 'the cluster link is closed');
      if (!this.connected && this.bufferedBytes + bytes.length > this.maxBufferedBytes)
        throw new ClusterDisconnectedError(address, 'NATS is unreachable and the outage buffer is full');
    } catch (err) {
      reply.reject(err);
      return;
    }
    if (!this.connected) this.bufferedBytes += bytes.length;
    const options = headers === undefined ? { timeout } : { timeout, headers: toNatsHeaders(headers) };
    this.nc.request(this.subjects.actor(address), bytes, options).then(
      (answer) => {
        const decoded = this.decodeReply(answer);
        if (!decoded.ok)
          reply.reject(new InvalidArgumentError(`malformed reply from ${address}: ${decoded.why}`));
        else if (decoded.value[0]) reply.resolve(decoded.value[1]);
        else reply.reject(decoded.value[1]);
      },
      (err: unknown) => reply.reject(this.requestError(address, err, timeout)),
    );
  }

  /** nats.js request failures as runtime errors: askers always see the same classes. */
  private requestError(address: string, err: unknown, timeoutMs: number): unknown {
    const code = (err as { code?: string }).code;
    // 503: nobody subscribes right now (the host died and the restart has not happened yet).
    if (code === '503') return new ActorStoppedError(address);
    if (code === 'TIMEOUT') return new AskTimeoutError(address, timeoutMs);
    if (code === 'CONNECTION_CLOSED' || code === 'CONNECTION_DRAINING' || code === 'DISCONNECT')
      return new ClusterDisconnectedError(address, `NATS connection ${code.toLowerCase()}`);
    return err;
  }

  private decodeReply(answer: Msg): Checked<[boolean, unknown]> {
    try {
      return checkReply(this.codec.decode(answer.data));
    } catch (err) {
      return { ok: false, why: err instanceof Error ? err.message : String(err) };
    }
  }

  /** A lifecycle request to the node hosting a cluster-placed actor. */
  async control(node: string, op: string, address: string, arg: unknown): Promise<unknown> {
    const timeout = this.system.shutdownTimeoutMs + 1000;
    let answer: Msg;
    try {
      answer = await this.nc.request(
        this.subjects.control(node),
        this.codec.encode([op, address, arg, this.system.nodeId]),
        { timeout },
      );
    } catch (err) {
      throw this.requestError(address, err, timeout);
    }
    const decoded = this.decodeReply(answer);
    if (!decoded.ok) throw new InvalidArgumentError(`malformed control reply from ${node}: ${decoded.why}`);
    if (!decoded.value[0]) throw decoded.value[1];
    return decoded.value[1];
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

  /** Answers a request; an unencodable value becomes a typed error, and nothing throws to the caller. */
  private respond(msg: Msg, ok: boolean, value: unknown): void {
    if (msg.reply === undefined || msg.reply === '') return;
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encode([ok, value === undefined ? null : value]);
    } catch (err) {
      bytes = this.codec.encode([false, err]);
    }
    try {
      msg.respond(bytes);
    } catch (err) {
      // The connection closed under us: the asker times out, as it would if the reply were lost.
      this.log(`[zephyr/runtime] could not answer on ${msg.subject}: ${(err as Error).message}`);
    }
  }

  private replyTo(msg: Msg): ReplyTo | undefined {
    if (msg.reply === undefined || msg.reply === '') return undefined;
    return {
      resolve: (value) => this.respond(msg, true, value),
      reject: (error) => this.respond(msg, false, error),
    };
  }

  /**
   * Decodes an actor message from the wire. A payload that is not msgpack, or not a message (an
   * object with a string `type`), is dead-lettered as `malformed`, counted, and its asker told.
   */
  private decodeMessage(address: string, msg: Msg, reply: ReplyTo | undefined): { value: unknown } | null {
    let value: unknown;
    let why: string | null = null;
    try {
      value = this.codec.decode(msg.data);
      if (!isMessage(value)) why = 'not a message (an object with a string "type")';
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
    if (why === null) return { value };
    this.malformed.drop(msg.subject, why);
    this.system.deadLetter({ recipient: address, message: value ?? msg.data, reason: 'malformed' });
    reply?.reject(new InvalidArgumentError(`malformed message to ${address}: ${why}`));
    return null;
  }

  private onActorMessage(msg: Msg): void {
    // `zph.<cluster>.a.<node>.<id>`; the wildcard also matches longer subjects, which no actor has.
    const parts = msg.subject.split('.');
    if (parts.length !== 5) {
      this.malformed.drop(msg.subject, 'not an actor subject');
      this.replyTo(msg)?.reject(new ActorStoppedError(msg.subject));
      return;
    }
    const address = `${parts[3]}/${parts[4]}`;
    const reply = this.replyTo(msg);
    const decoded = this.decodeMessage(address, msg, reply);
    if (decoded !== null) this.system.deliver(address, decoded.value, reply, fromNatsHeaders(msg));
  }

  private onGuestMessage(address: string, msg: Msg): void {
    const guest = this.guests.get(address);
    const reply = this.replyTo(msg);
    const message = this.decodeMessage(address, msg, reply);
    if (message === null) return;
    if (guest === undefined) {
      this.system.deadLetter({ recipient: address, message: message.value, reason: 'stopped' });
      reply?.reject(new ActorStoppedError(address));
      return;
    }
    guest.cell.deliver(message.value, reply, fromNatsHeaders(msg));
  }

  private onControl(msg: Msg): void {
    let checked: Checked<ControlRequest>;
    try {
      checked = checkControl(this.codec.decode(msg.data));
    } catch (err) {
      checked = { ok: false, why: err instanceof Error ? err.message : String(err) };
    }
    if (!checked.ok) {
      this.malformed.drop(msg.subject, checked.why);
      this.respond(msg, false, new InvalidArgumentError(`malformed control request: ${checked.why}`));
      return;
    }
    this.runControl(checked.value).then(
      (value) => this.respond(msg, true, value),
      (err: unknown) => this.respond(msg, false, err),
    );
  }

  private async runControl(request: ControlRequest): Promise<unknown> {
    const { address, supervisor } = request;
    const guest = this.guests.get(address);
    switch (request.op) {
      case 'spawn': {
        const actor = this.kinds.get(request.kind);
        if (actor === undefined) throw new UnknownActorKindError(request.kind, `node ${this.system.nodeId}`);
        if (guest !== undefined) await this.dropGuest(address, { type: 'shutdown' });
        const parent: ChildParent = {
          childExited: (child: SupervisedChild, reason: ExitReason) =>
            this.reportExit(supervisor, child, reason),
        };
        const cell = this.system.createCell(
          { id: address, actor, ...(request.mailbox !== null ? { mailbox: request.mailbox } : {}) },
          parent,
          address,
        );
        const sub = this.subscribe(this.subjects.actor(address), (m) => this.onGuestMessage(address, m));
        this.guests.set(address, { cell, sub, supervisor });
        cell.start();
        return true;
      }
      case 'halt':
        if (guest === undefined) throw new ActorStoppedError(address);
        await guest.cell.halt(request.reason);
        return true;
      case 'resume':
        if (guest === undefined) throw new ActorStoppedError(address);
        await guest.cell.resume(request.delayMs);
        return true;
      case 'stop':
        await this.dropGuest(address, request.reason);
        return true;
      case 'host-of':
        return this.hosted.get(address)?.host ?? null;
    }
  }

  /** Tells a guest's supervisor node that it exited; during an outage the report is buffered by NATS. */
  private reportExit(supervisor: string, child: SupervisedChild, reason: ExitReason): void {
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encode([child.address, reason]);
    } catch (err) {
      // The error inside the reason cannot be encoded: report that instead of losing the exit.
      bytes = this.codec.encode([child.address, { type: 'error', error: err }]);
    }
    try {
      this.nc.publish(this.subjects.exits(supervisor), bytes);
    } catch (err) {
      this.log(`[zephyr/runtime] could not report the exit of ${child.address}: ${(err as Error).message}`);
    }
  }

  /**
   * After a reconnect: while this node was cut off, a supervisor that still reached NATS may have
   * declared it down and restarted its actors elsewhere. Each guest asks its supervisor who hosts
   * it now, and a stale copy stops, so no actor runs twice.
   */
  private async verifyGuests(): Promise<void> {
    for (const [address, guest] of [...this.guests]) {
      let host: unknown;
      try {
        host = await this.control(guest.supervisor, 'host-of', address, null);
      } catch {
        continue; // The supervisor is unreachable: liveness decides about it.
      }
      if (host !== this.system.nodeId && this.guests.get(address) === guest) {
        this.log(
          `[zephyr/runtime] ${address} was restarted elsewhere while this node was cut off; stopping this copy`,
        );
        await this.dropGuest(address, { type: 'shutdown' });
      }
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
    let checked: Checked<[string, ExitReason]>;
    try {
      checked = checkExit(this.codec.decode(msg.data));
    } catch (err) {
      checked = { ok: false, why: err instanceof Error ? err.message : String(err) };
    }
    if (!checked.ok) {
      this.malformed.drop(msg.subject, checked.why);
      return;
    }
    this.hosted.get(checked.value[0])?.exited(checked.value[1]);
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
    for (const listener of watchers ?? []) {
      try {
        listener({ address: `${nodeId}/`, reason: { type: 'error', error } });
      } catch (err) {
        this.system.hookError(`${nodeId}/`, 'watch listener', err);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.liveness.stop();
    for (const address of [...this.guests.keys()]) await this.dropGuest(address, { type: 'shutdown' });
    this.closed = true;
    await this.service?.stop().catch(() => {});
    // A drain waits for the server; during an outage, close at once instead of hanging shutdown.
    if (this.connected) await this.nc.drain().catch(() => {});
    else await this.nc.close().catch(() => {});
  }
}

/** Checks the numeric cluster options before anything connects. */
function checkClusterOptions(options: ClusterOptions): void {
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && (!(value > 0) || !Number.isFinite(value)))
      throw new InvalidArgumentError(`cluster.${name} must be a finite number > 0, got ${value}`);
  };
  positive('heartbeatMs', options.heartbeatMs);
  positive('downAfterMs', options.downAfterMs);
  positive('maxBufferedBytes', options.maxBufferedBytes);
  if (options.name !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(options.name))
    throw new InvalidArgumentError(
      `cluster.name may hold only letters, digits, _ and -, got "${options.name}"`,
    );
}
