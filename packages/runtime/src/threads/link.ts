import type { DeadLetter, DeathNotice, ExitReason } from '../actor/message.js';
import { type AskDeadlines, isPendingAsk } from '../actor/pending-ask.js';
import type { MessageHeaders } from '../actor/tracing-channels.js';
import { InvalidArgumentError } from '../errors.js';
import type { ReplyTo } from '../mailbox/mailbox.js';
import { MessageCodec, type RefResolver } from './codec.js';
import type { FrameTransport } from './frame-transport.js';
import { ShapeBuilders, type ShapeDescriptor, ShapePacker } from './record-shapes.js';

/** Operations in a frame; each is followed by a fixed number of fields (see ARITY). */
const TELL = 1;
const ASK = 2;
const REPLY_OK = 3;
const REPLY_ERR = 4;
const CONTROL = 5;
const EXITED = 6;
const DEAD_LETTER = 7;
const WATCH = 8;
const UNWATCH = 9;
const NOTICE = 10;
/** Binds a small integer to an address, so TELL/ASK carry a number instead of a string. */
const DEFINE = 11;
/** Announces a record shape: [SHAPE, id, descriptor]. */
const SHAPE = 12;
/** A tell sent as a record: [TELL_REC, addressId, shapeId, ...leaf values]. */
const TELL_REC = 13;
/** An ask sent as a record: [ASK_REC, addressId, askId, shapeId, ...leaf values]. */
const ASK_REC = 14;
/** Headers (trace context) of the TELL/ASK that follows: [HEADERS, headers]. */
const HEADERS = 15;

/** Fields per op, including the op itself. */
const ARITY: Readonly<Record<number, number>> = {
  [TELL]: 3,
  [ASK]: 4,
  [REPLY_OK]: 3,
  [REPLY_ERR]: 3,
  [CONTROL]: 5,
  [EXITED]: 3,
  [DEAD_LETTER]: 4,
  [WATCH]: 3,
  [UNWATCH]: 2,
  [NOTICE]: 3,
  [DEFINE]: 3,
  [SHAPE]: 3,
  [HEADERS]: 2,
};

/**
 * Flush at once past this many queued fields (about 1000 tells). Bigger frames amortise nothing
 * more but make the receiver decode one huge batch at once: more garbage surviving into the old
 * generation, and less overlap between encoding here and decoding there.
 */
const MAX_FIELDS_PER_FRAME = 3 * 1024;
/**
 * Longest an op waits for the rest of its batch, in ms. A burst of sends from one synchronous
 * pass still goes as one frame; but a reply made after a long handler, with more handlers to run
 * in the same turn, is sent at once: otherwise a pool actor with 32 queued 5 ms requests would
 * hold every reply until the 32nd is done, and the main thread and the actor thread would take
 * turns instead of working side by side.
 */
const MAX_BATCH_DELAY_MS = 1;

/** What a thread does with operations arriving on a link. */
export interface LinkHandler {
  /** A tell (reply undefined) or an ask for `address`. */
  deliver(address: string, msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void;
  /** Lifecycle control of an actor hosted here (spawn, halt, resume, stop). */
  control(name: string, address: string, arg: unknown): unknown;
  /** An actor hosted on the other side exited. */
  exited(address: string, reason: ExitReason): void;
  deadLetter(letter: DeadLetter): void;
  /** Watches `address` on behalf of the other side. */
  watch(address: string, listener: (notice: DeathNotice) => void): () => void;
}

/**
 * One end of a thread-to-thread connection. Operations are appended to an outbox and sent as one
 * msgpack frame per microtask turn: thousands of tells cost one `postMessage`, one encode call and
 * one decode call, instead of one structured clone each.
 */
export class Link {
  private out: unknown[] = [];
  private flushScheduled = false;
  /** When the last frame went (performance.now()). */
  private flushedAt = 0;
  private nextId = 1;
  private readonly pending = new Map<number, ReplyTo>();
  private readonly watchers = new Map<number, (notice: DeathNotice) => void>();
  private readonly remoteWatches = new Map<number, () => void>();
  private readonly codec: MessageCodec;
  private closed = false;
  /** Addresses this side has defined, by id: utf8-encoding the same address per message cost ~10%. */
  private readonly outIds = new Map<string, number>();
  /** The same, by id: to name the recipient of a message that could not be sent. */
  private readonly outAddresses: string[] = [];
  private readonly inAddresses: string[] = [];
  private readonly packer = new ShapePacker();
  private readonly builders = new ShapeBuilders();
  private readonly defineShape = (id: number, descriptor: ShapeDescriptor): void => {
    this.out.push(SHAPE, id, descriptor);
  };

  constructor(
    private readonly transport: FrameTransport,
    resolver: RefResolver,
    private readonly handler: LinkHandler,
    private readonly deadlines: AskDeadlines,
  ) {
    this.codec = new MessageCodec(resolver);
    transport.onFrame((frame) => this.receive(frame));
  }

  /** @throws {InvalidArgumentError} for a message that cannot cross (see ShapePacker.pack). */
  tell(address: string, msg: unknown, headers?: MessageHeaders): void {
    const shape = this.packer.pack(msg, this.defineShape);
    const addressId = this.idOf(address);
    if (headers !== undefined) this.out.push(HEADERS, headers);
    if (shape < 0) this.out.push(TELL, addressId, msg);
    else this.out.push(TELL_REC, addressId, shape, ...this.packer.values);
    this.schedule();
  }

  private idOf(address: string): number {
    let id = this.outIds.get(address);
    if (id === undefined) {
      id = this.outIds.size;
      this.outIds.set(address, id);
      this.outAddresses[id] = address;
      this.out.push(DEFINE, id, address);
    }
    return id;
  }

  /** Sends an ask; the reply settles `reply` (a local PendingAsk, or a reply slot being forwarded). */
  ask(address: string, msg: unknown, reply: ReplyTo, headers?: MessageHeaders): void {
    const id = this.nextId++;
    this.pending.set(id, reply);
    if (isPendingAsk(reply)) reply.onSettle = () => this.pending.delete(id);
    let shape: number;
    try {
      shape = this.packer.pack(msg, this.defineShape);
    } catch (err) {
      this.pending.delete(id);
      reply.reject(err);
      return;
    }
    const addressId = this.idOf(address);
    if (headers !== undefined) this.out.push(HEADERS, headers);
    if (shape < 0) this.out.push(ASK, addressId, msg, id);
    else this.out.push(ASK_REC, addressId, id, shape, ...this.packer.values);
    this.schedule();
  }

  /** Creates an ask with a timeout and sends it. */
  request(address: string, msg: unknown, timeoutMs: number): Promise<unknown> {
    const pending = this.deadlines.create(address, timeoutMs);
    this.ask(address, msg, pending);
    return pending.promise;
  }

  /** A lifecycle operation on the other side; resolves when it has been carried out. */
  control(name: string, address: string, arg: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.out.push(CONTROL, id, name, address, arg);
      this.schedule();
    });
  }

  exited(address: string, reason: ExitReason): void {
    this.out.push(EXITED, address, reason);
    this.schedule();
  }

  deadLetter(letter: DeadLetter): void {
    this.out.push(DEAD_LETTER, letter.recipient, letter.message, letter.reason);
    this.schedule();
  }

  watch(address: string, listener: (notice: DeathNotice) => void): () => void {
    const id = this.nextId++;
    this.watchers.set(id, listener);
    this.out.push(WATCH, address, id);
    this.schedule();
    return () => {
      if (!this.watchers.delete(id)) return;
      this.out.push(UNWATCH, id);
      this.schedule();
    };
  }

  /** The other side is gone: every reply still awaited rejects with `error`. */
  failAll(error: unknown): void {
    this.closed = true;
    this.out = [];
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const reply of pending) reply.reject(error);
    for (const cancel of this.remoteWatches.values()) cancel();
    this.remoteWatches.clear();
    this.transport.close();
  }

  /**
   * A side that has not flushed for a while was busy (an actor thread in a long handler, with
   * more messages queued behind it): what it has to say goes now, not after its whole turn.
   */
  private flushDue(): boolean {
    return performance.now() - this.flushedAt > MAX_BATCH_DELAY_MS;
  }

  private schedule(): void {
    if (this.out.length >= MAX_FIELDS_PER_FRAME || this.flushDue()) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Sends everything queued as one frame. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.closed) return;
    this.out = [];
    this.send(out);
  };

  private send(ops: unknown[]): void {
    this.flushedAt = performance.now();
    let frame: Uint8Array;
    // A view of the encoder's buffer: the transport copies it before the next encode.
    try {
      frame = this.codec.encodeShared(ops);
    } catch {
      frame = this.codec.encodeShared(this.dropUnencodable(ops));
    }
    this.transport.send(frame);
  }

  /**
   * Some value in the batch cannot be encoded (a function, a symbol...). Encode op by op, keep the
   * good ones, and tell whoever waits on a bad one instead of losing it.
   */
  private dropUnencodable(out: unknown[]): unknown[] {
    const good: unknown[] = [];
    // Where in `good` the last HEADERS op starts: a message dropped right after it drops it too,
    // so its headers never attach to the next message.
    let headersAt = -1;
    for (let i = 0; i < out.length; ) {
      const op = out[i] as number;
      const n =
        op === TELL_REC
          ? 3 + this.packer.size(out[i + 2] as number)
          : op === ASK_REC
            ? 4 + this.packer.size(out[i + 3] as number)
            : (ARITY[op] ?? 1);
      const fields = out.slice(i, i + n);
      i += n;
      try {
        this.codec.encode(fields);
        if (op === HEADERS) headersAt = good.length;
        good.push(...fields);
      } catch (err) {
        if (headersAt >= 0 && headersAt === good.length - 2) good.length = headersAt;
        const error = new InvalidArgumentError(
          `message cannot be sent to another thread: ${(err as Error).message}`,
        );
        if (op === ASK || op === ASK_REC) {
          const id = (op === ASK ? fields[3] : fields[2]) as number;
          this.pending.get(id)?.reject(error);
          this.pending.delete(id);
        } else if (op === REPLY_OK) {
          good.push(REPLY_ERR, fields[1], error);
        } else if (op === CONTROL) {
          const id = fields[1] as number;
          this.pending.get(id)?.reject(error);
          this.pending.delete(id);
        } else if (op === TELL || op === TELL_REC) {
          this.handler.deadLetter({
            recipient: this.outAddresses[fields[1] as number] ?? String(fields[1]),
            message: op === TELL ? fields[2] : fields.slice(3),
            reason: 'unreachable',
          });
        } else {
          this.handler.deadLetter({ recipient: '(thread link)', message: fields, reason: 'unreachable' });
        }
      }
    }
    return good;
  }

  private receive(frame: Uint8Array): void {
    if (this.closed) return;
    let ops: unknown[];
    try {
      ops = this.codec.decode(frame) as unknown[];
    } catch (err) {
      // Cannot happen for frames this runtime encodes, short of a value msgpack encodes but will
      // not decode (a "__proto__" key deep inside a message). The batch is lost: say so.
      this.handler.deadLetter({ recipient: '(thread link)', message: String(err), reason: 'unreachable' });
      return;
    }
    const handler = this.handler;
    // Set by a HEADERS op, for the one TELL/ASK right after it.
    let headers: MessageHeaders | undefined;
    for (let i = 0; i < ops.length; ) {
      const op = ops[i] as number;
      switch (op) {
        case HEADERS:
          headers = ops[i + 1] as MessageHeaders;
          i += 2;
          continue;
        case TELL:
          handler.deliver(this.inAddresses[ops[i + 1] as number]!, ops[i + 2], undefined, headers);
          break;
        case ASK:
          handler.deliver(
            this.inAddresses[ops[i + 1] as number]!,
            ops[i + 2],
            new RemoteReply(this, ops[i + 3] as number),
            headers,
          );
          break;
        case DEFINE:
          this.inAddresses[ops[i + 1] as number] = ops[i + 2] as string;
          break;
        case SHAPE:
          this.builders.define(ops[i + 1] as number, ops[i + 2]);
          break;
        case TELL_REC: {
          const shape = ops[i + 2] as number;
          handler.deliver(
            this.inAddresses[ops[i + 1] as number]!,
            this.builders.build(shape, ops, i + 3),
            undefined,
            headers,
          );
          headers = undefined;
          i += 3 + this.builders.size(shape);
          continue;
        }
        case ASK_REC: {
          const shape = ops[i + 3] as number;
          handler.deliver(
            this.inAddresses[ops[i + 1] as number]!,
            this.builders.build(shape, ops, i + 4),
            new RemoteReply(this, ops[i + 2] as number),
            headers,
          );
          headers = undefined;
          i += 4 + this.builders.size(shape);
          continue;
        }
        case REPLY_OK:
        case REPLY_ERR: {
          const id = ops[i + 1] as number;
          const reply = this.pending.get(id);
          this.pending.delete(id);
          if (op === REPLY_OK) reply?.resolve(ops[i + 2]);
          else reply?.reject(ops[i + 2]);
          break;
        }
        case CONTROL:
          this.runControl(ops[i + 1] as number, ops[i + 2] as string, ops[i + 3] as string, ops[i + 4]);
          break;
        case EXITED:
          handler.exited(ops[i + 1] as string, ops[i + 2] as ExitReason);
          break;
        case DEAD_LETTER:
          handler.deadLetter({
            recipient: ops[i + 1] as string,
            message: ops[i + 2],
            reason: ops[i + 3] as DeadLetter['reason'],
          });
          break;
        case WATCH: {
          const id = ops[i + 2] as number;
          this.remoteWatches.set(
            id,
            handler.watch(ops[i + 1] as string, (notice) => {
              this.remoteWatches.delete(id);
              this.out.push(NOTICE, id, notice);
              this.schedule();
            }),
          );
          break;
        }
        case UNWATCH: {
          const id = ops[i + 1] as number;
          this.remoteWatches.get(id)?.();
          this.remoteWatches.delete(id);
          break;
        }
        case NOTICE: {
          const id = ops[i + 1] as number;
          const listener = this.watchers.get(id);
          this.watchers.delete(id);
          listener?.(ops[i + 2] as DeathNotice);
          break;
        }
        default:
          throw new InvalidArgumentError(`corrupt frame: unknown op ${String(op)}`);
      }
      headers = undefined;
      i += ARITY[op] ?? 1;
    }
  }

  private runControl(id: number, name: string, address: string, arg: unknown): void {
    const done = (value: unknown) => {
      this.out.push(REPLY_OK, id, value === undefined ? null : value);
      this.schedule();
    };
    const failed = (err: unknown) => {
      this.out.push(REPLY_ERR, id, err);
      this.schedule();
    };
    try {
      Promise.resolve(this.handler.control(name, address, arg)).then(done, failed);
    } catch (err) {
      failed(err);
    }
  }

  /** @internal used by RemoteReply */
  sendReply(id: number, ok: boolean, value: unknown): void {
    // The reply of a long handler, with nothing else to say: sent from a fresh array, not stored in
    // the outbox (why a store into a long-lived object matters: `Dispatcher.enterNow`).
    if (this.out.length === 0 && !this.closed && this.flushDue()) {
      this.send([ok ? REPLY_OK : REPLY_ERR, id, value]);
      return;
    }
    this.out.push(ok ? REPLY_OK : REPLY_ERR, id, value);
    this.schedule();
  }
}

/** The reply slot of an ask that arrived over a link: settling it sends the reply back. */
class RemoteReply implements ReplyTo {
  constructor(
    private readonly link: Link,
    private readonly id: number,
  ) {}

  resolve(value: unknown): void {
    this.link.sendReply(this.id, true, value === undefined ? null : value);
  }

  reject(error: unknown): void {
    this.link.sendReply(this.id, false, error);
  }
}
