import {
  Decoder,
  type DecoderOptions,
  decodeTimestampExtension,
  Encoder,
  EXT_TIMESTAMP,
  ExtensionCodec,
  encodeTimestampExtension,
} from '@msgpack/msgpack';
import type { ActorRef } from '../actor/actor-ref.js';
import { isRoutableRef } from '../actor/routable-ref.js';
import * as errors from '../errors.js';

/** Turns an address read off the wire back into a ref that routes from this thread/process. */
export interface RefResolver {
  resolveRef(address: string): ActorRef;
}

/**
 * msgpack extension types. Each value that plain msgpack would change on the way (a Map or Set
 * arriving as `{}`, an invalid Date as 1970, a BigInt refused) has its own type, so what arrives
 * is what was sent; a value no type covers is refused at the send site (see `refuseOther`).
 */
const EXT_REF = 1;
const EXT_ERROR = 2;
const EXT_MAP = 3;
const EXT_SET = 4;
const EXT_BIGINT = 5;
const EXT_INVALID_DATE = 6;
const EXT_REGEXP = 7;
/** Never written: its encoder only refuses values nothing else encodes. */
const EXT_REFUSE = 8;

/** Error classes by code, so a decoded error keeps its class (`instanceof` works across threads). */
const CLASSES_BY_CODE: ReadonlyMap<string, { prototype: object }> = new Map<string, { prototype: object }>([
  ['ZEPHYR_ERR_MAILBOX_FULL', errors.MailboxFullError],
  ['ZEPHYR_ERR_ASK_TIMEOUT', errors.AskTimeoutError],
  ['ZEPHYR_ERR_ACTOR_STOPPED', errors.ActorStoppedError],
  ['ZEPHYR_ERR_ACTOR_FAILED', errors.ActorFailedError],
  ['ZEPHYR_ERR_ACTOR_NAME_TAKEN', errors.ActorNameTakenError],
  ['ZEPHYR_ERR_INVALID_ARGUMENT', errors.InvalidArgumentError],
  ['ZEPHYR_ERR_RESTART_INTENSITY', errors.RestartIntensityError],
  ['ZEPHYR_ERR_SIBLING_FAILED', errors.SiblingFailedError],
  ['ZEPHYR_ERR_WORKER_EXITED', errors.WorkerExitedError],
  ['ZEPHYR_ERR_NODE_DOWN', errors.NodeDownError],
  ['ZEPHYR_ERR_UNKNOWN_ACTOR_KIND', errors.UnknownActorKindError],
  ['ZEPHYR_ERR_PLACEMENT_UNAVAILABLE', errors.PlacementUnavailableError],
  ['ZEPHYR_ERR_CLUSTER_DISCONNECTED', errors.ClusterDisconnectedError],
  ['ZEPHYR_ERR_HANDLER_DEADLINE', errors.HandlerDeadlineError],
]);

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Thrown while decoding bytes that are msgpack but not what this runtime writes. */
function corrupt(what: string): never {
  throw new errors.InvalidArgumentError(`corrupt message: bad ${what}`);
}

function isPlainOrArray(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === Array.prototype || proto === null;
}

function makeCodec(): ExtensionCodec<RefResolver> {
  const codec = new ExtensionCodec<RefResolver>();
  // Values inside an extension use a fresh encoder/decoder: the link's own one is mid-call.
  const encodeNested = (value: unknown, context: RefResolver): Uint8Array =>
    new Encoder({ extensionCodec: codec, context, ignoreUndefined: false }).encode(value);
  const decodeNested = (data: Uint8Array, context: RefResolver): unknown =>
    new Decoder({ extensionCodec: codec, context }).decode(data);

  codec.register({
    type: EXT_REF,
    encode: (value) => (isRoutableRef(value) ? textEncoder.encode(value.address) : null),
    decode: (data, _type, context) => context.resolveRef(textDecoder.decode(data)),
  });
  codec.register({
    type: EXT_ERROR,
    encode: (value, context) => {
      if (!(value instanceof Error)) return null;
      const shaped = value as Partial<errors.RuntimeError>;
      const cause: unknown = value.cause;
      return encodeNested(
        [
          value.name,
          typeof shaped.code === 'string' ? shaped.code : 'ZEPHYR_ERR_REMOTE',
          value.message,
          value.stack ?? null,
          cause === undefined ? null : cause,
          typeof shaped.status === 'number' ? shaped.status : null,
          typeof shaped.expose === 'boolean' ? shaped.expose : null,
          typeof shaped.retryAfter === 'number' ? shaped.retryAfter : null,
        ],
        context,
      );
    },
    decode: (data, _type, context) => {
      const fields = decodeNested(data, context);
      if (!Array.isArray(fields)) return corrupt('error');
      const [name, code, message, stack, cause, status, expose, retryAfter] = fields as unknown[];
      if (typeof name !== 'string' || typeof code !== 'string' || typeof message !== 'string')
        return corrupt('error');
      const err = new errors.RemoteError(code, name, message, typeof stack === 'string' ? stack : undefined, {
        ...(typeof status === 'number' ? { status } : {}),
        ...(typeof expose === 'boolean' ? { expose } : {}),
        ...(typeof retryAfter === 'number' ? { retryAfter } : {}),
      });
      const known = CLASSES_BY_CODE.get(code);
      if (known !== undefined) Object.setPrototypeOf(err, known.prototype);
      err.name = name;
      if (cause !== null && cause !== undefined) err.cause = cause;
      return err;
    },
  });
  codec.register({
    type: EXT_MAP,
    encode: (value, context) => {
      if (!(value instanceof Map)) return null;
      const flat: unknown[] = [];
      for (const [k, v] of value) flat.push(k, v);
      return encodeNested(flat, context);
    },
    decode: (data, _type, context) => {
      const flat = decodeNested(data, context);
      if (!Array.isArray(flat) || flat.length % 2 !== 0) return corrupt('Map');
      const map = new Map<unknown, unknown>();
      for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
      return map;
    },
  });
  codec.register({
    type: EXT_SET,
    encode: (value, context) => (value instanceof Set ? encodeNested([...value], context) : null),
    decode: (data, _type, context) => {
      const items = decodeNested(data, context);
      if (!Array.isArray(items)) return corrupt('Set');
      return new Set(items);
    },
  });
  codec.register({
    type: EXT_BIGINT,
    encode: (value) => (typeof value === 'bigint' ? textEncoder.encode(value.toString(16)) : null),
    decode: (data) => {
      const text = textDecoder.decode(data);
      if (!/^-?[0-9a-f]{1,100000}$/.test(text)) return corrupt('BigInt');
      return text.startsWith('-') ? -BigInt(`0x${text.slice(1)}`) : BigInt(`0x${text}`);
    },
  });
  // msgpack's own timestamp type runs before every custom one and writes an invalid Date as 1970:
  // replace it with one that leaves invalid dates to EXT_INVALID_DATE.
  codec.register({
    type: EXT_TIMESTAMP,
    encode: (value) =>
      value instanceof Date && !Number.isNaN(value.getTime()) ? encodeTimestampExtension(value) : null,
    decode: (data) => decodeTimestampExtension(data),
  });
  codec.register({
    type: EXT_INVALID_DATE,
    // Valid dates use msgpack's own timestamp type; it has no way to say "Invalid Date".
    encode: (value) => (value instanceof Date && Number.isNaN(value.getTime()) ? new Uint8Array(0) : null),
    decode: () => new Date(Number.NaN),
  });
  codec.register({
    type: EXT_REGEXP,
    encode: (value, context) =>
      value instanceof RegExp ? encodeNested([value.source, value.flags], context) : null,
    decode: (data, _type, context) => {
      const fields = decodeNested(data, context);
      if (!Array.isArray(fields) || typeof fields[0] !== 'string' || typeof fields[1] !== 'string')
        return corrupt('RegExp');
      try {
        return new RegExp(fields[0], fields[1]);
      } catch {
        return corrupt('RegExp');
      }
    },
  });
  codec.register({
    type: EXT_REFUSE,
    encode: (value) => {
      // Runs for every object no other type took: plain objects, arrays and Uint8Array pass.
      if (typeof value === 'object' && value !== null) {
        if (isPlainOrArray(value) || value instanceof Uint8Array) return null;
        const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
        throw new errors.InvalidArgumentError(
          `a ${typeof name === 'string' ? name : 'non-plain object'} cannot be sent to another thread or node ` +
            '(supported: plain objects, arrays, primitives, bigint, Date, Map, Set, RegExp, Uint8Array, Error, refs)',
        );
      }
      throw new errors.InvalidArgumentError(
        `a ${typeof value} cannot be sent to another thread or node (functions and symbols do not cross)`,
      );
    },
    decode: () => corrupt('extension'),
  });
  return codec;
}

/**
 * msgpack encoder/decoder pair of one link. Refs travel as their address and errors as name,
 * code, message, stack, status; Map, Set, BigInt, RegExp and invalid Dates have extension types,
 * so they arrive as sent. Anything else that is not plain data is refused with
 * `InvalidArgumentError` when encoding (at the send site), never changed on the way.
 */
export class MessageCodec {
  private readonly encoder: Encoder<RefResolver>;
  private readonly decoderOptions: DecoderOptions<RefResolver>;

  constructor(resolver: RefResolver) {
    const extensionCodec = makeCodec();
    // A large first buffer: batch frames are tens of KB, and regrowing it per frame shows in profiles.
    this.encoder = new Encoder({
      extensionCodec,
      context: resolver,
      ignoreUndefined: false,
      initialBufferSize: 64 * 1024,
    });
    this.decoderOptions = { extensionCodec, context: resolver };
  }

  /**
   * Encodes into a fresh buffer that the caller may transfer.
   * @throws {InvalidArgumentError} for a value that cannot cross (a function, a class instance...).
   */
  encode(value: unknown): Uint8Array {
    return this.encodeWith(value, false);
  }

  /**
   * Encodes into the encoder's own buffer: the result is a view, valid until the next encode.
   * For a sender that copies it at once (the thread link's transport), it saves a buffer per frame.
   * @throws {InvalidArgumentError} as {@link encode} does.
   */
  encodeShared(value: unknown): Uint8Array {
    return this.encodeWith(value, true);
  }

  private encodeWith(value: unknown, shared: boolean): Uint8Array {
    try {
      return shared ? this.encoder.encodeSharedRef(value) : this.encoder.encode(value);
    } catch (err) {
      if (err instanceof errors.InvalidArgumentError) throw err;
      // msgpack's own refusals (nesting deeper than 100, say) are plain Errors: give them the code.
      throw new errors.InvalidArgumentError(`message cannot be encoded: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  decode(bytes: Uint8Array): unknown {
    // Binary values are views of the input: a Buffer (as NATS and the thread link's small frames
    // hand over) would make them Buffers. Their `.buffer` is the input's: a transferred frame, a
    // frame slab, or a slab of Node's Buffer pool, as `Buffer.from` values have.
    const plain =
      Object.getPrototypeOf(bytes) === Uint8Array.prototype
        ? bytes
        : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // A decoder per frame: one kept across frames would store each frame (a young object) in itself
    // (an old one), and that store alone makes V8's next scavenge a parallel job (see
    // `Dispatcher.enterNow`). A decoder is a handful of fields.
    return new Decoder(this.decoderOptions).decode(plain);
  }
}
