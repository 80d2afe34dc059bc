import { Decoder, Encoder, ExtensionCodec } from '@msgpack/msgpack';
import type { ActorRef } from '../actor/actor-ref.js';
import { isRoutableRef } from '../actor/routable-ref.js';
import * as errors from '../errors.js';

/** Turns an address read off the wire back into a ref that routes from this thread/process. */
export interface RefResolver {
  resolveRef(address: string): ActorRef;
}

const EXT_REF = 1;
const EXT_ERROR = 2;

/** Error classes by code, so a decoded error keeps its class (`instanceof` works across threads). */
const CLASSES_BY_CODE: ReadonlyMap<string, { prototype: object }> = new Map<string, { prototype: object }>([
  ['ZEPHYR_ERR_MAILBOX_FULL', errors.MailboxFullError],
  ['ZEPHYR_ERR_ASK_TIMEOUT', errors.AskTimeoutError],
  ['ZEPHYR_ERR_ACTOR_STOPPED', errors.ActorStoppedError],
  ['ZEPHYR_ERR_ACTOR_FAILED', errors.ActorFailedError],
  ['ZEPHYR_ERR_ACTOR_NAME_TAKEN', errors.ActorNameTakenError],
  ['ZEPHYR_ERR_RUNTIME_INVALID_ARGUMENT', errors.InvalidArgumentError],
  ['ZEPHYR_ERR_RESTART_INTENSITY', errors.RestartIntensityError],
  ['ZEPHYR_ERR_SIBLING_FAILED', errors.SiblingFailedError],
  ['ZEPHYR_ERR_WORKER_EXITED', errors.WorkerExitedError],
  ['ZEPHYR_ERR_NODE_DOWN', errors.NodeDownError],
  ['ZEPHYR_ERR_UNKNOWN_ACTOR_KIND', errors.UnknownActorKindError],
  ['ZEPHYR_ERR_PLACEMENT_UNAVAILABLE', errors.PlacementUnavailableError],
]);

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

function makeCodec(): ExtensionCodec<RefResolver> {
  const codec = new ExtensionCodec<RefResolver>();
  codec.register({
    type: EXT_REF,
    encode: (value) => (isRoutableRef(value) ? textEncoder.encode(value.address) : null),
    decode: (data, _type, context) => context.resolveRef(textDecoder.decode(data)),
  });
  codec.register({
    type: EXT_ERROR,
    encode: (value, context) => {
      if (!(value instanceof Error)) return null;
      const code = (value as Partial<errors.RuntimeError>).code;
      const cause: unknown = value.cause;
      // A fresh encoder: the link's own one is mid-encode (errors are rare; the cost does not matter).
      return new Encoder({ extensionCodec: codec, context }).encode([
        value.name,
        typeof code === 'string' ? code : 'ZEPHYR_ERR_REMOTE',
        value.message,
        value.stack ?? null,
        cause === undefined ? null : cause,
      ]);
    },
    decode: (data, _type, context) => {
      const [name, code, message, stack, cause] = new Decoder({ extensionCodec: codec, context }).decode(
        data,
      ) as [string, string, string, string | null, unknown];
      const err = new errors.RemoteError(code, name, message, stack ?? undefined);
      const known = CLASSES_BY_CODE.get(code);
      if (known !== undefined) Object.setPrototypeOf(err, known.prototype);
      err.name = name;
      if (cause !== null) err.cause = cause;
      return err;
    },
  });
  return codec;
}

/**
 * msgpack encoder/decoder pair of one link. Refs travel as their address (extension type 1) and
 * errors as name, code, message and stack (extension type 2); everything else is plain msgpack.
 */
export class MessageCodec {
  private readonly encoder: Encoder<RefResolver>;
  private readonly decoder: Decoder<RefResolver>;

  constructor(resolver: RefResolver) {
    const extensionCodec = makeCodec();
    // A large first buffer: batch frames are tens of KB, and regrowing it per frame shows in profiles.
    this.encoder = new Encoder({
      extensionCodec,
      context: resolver,
      ignoreUndefined: false,
      initialBufferSize: 64 * 1024,
    });
    this.decoder = new Decoder({ extensionCodec, context: resolver });
  }

  /** Encodes into a fresh buffer that the caller may transfer. */
  encode(value: unknown): Uint8Array {
    return this.encoder.encode(value);
  }

  decode(bytes: Uint8Array): unknown {
    return this.decoder.decode(bytes);
  }
}
