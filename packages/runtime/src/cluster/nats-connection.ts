import { readFileSync } from 'node:fs';
import {
  type Authenticator,
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
} from 'nats';
import { InvalidArgumentError, NatsUnreachableError } from '../errors.js';

/**
 * How this node connects to NATS: extra seed servers, credentials and TLS. Give at most one of
 * `user`/`pass`, `token`, `nkeySeed`, `credsFile`. See the README for the subject permissions a
 * node's NATS user needs.
 */
export interface NatsConnectionOptions {
  /** More servers of the same NATS cluster, tried with `nats_url` (the client also learns them from the server). */
  readonly servers?: readonly string[];
  /** Username (nats-server `authorization.users`), with {@link pass}. */
  readonly user?: string;
  /** Password of {@link user}. */
  readonly pass?: string;
  /** A token (nats-server `authorization.token`). */
  readonly token?: string;
  /** An NKey seed (`SU...`), for nats-server `authorization.users: [{ nkey: U... }]`. */
  readonly nkeySeed?: string;
  /** A JWT credentials file (decentralised auth with an operator). */
  readonly credsFile?: string;
  /** TLS to NATS: CA to verify the server, and a client certificate for mutual TLS. */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** Delay between reconnect attempts (default 250 ms, plus jitter); attempts never stop. */
  readonly reconnectWaitMs?: number;
}

function authenticator(options: NatsConnectionOptions): Authenticator | undefined {
  const given = [
    options.user !== undefined || options.pass !== undefined,
    options.token !== undefined,
    options.nkeySeed !== undefined,
    options.credsFile !== undefined,
  ].filter(Boolean).length;
  if (given > 1)
    throw new InvalidArgumentError('cluster.nats: give one of user/pass, token, nkeySeed or credsFile');
  if (options.nkeySeed !== undefined) {
    if (!/^S[A-Z2-7]{57}$/.test(options.nkeySeed))
      throw new InvalidArgumentError(
        'cluster.nats.nkeySeed must be an NKey seed (58 characters starting with S)',
      );
    return nkeyAuthenticator(new TextEncoder().encode(options.nkeySeed));
  }
  if (options.credsFile !== undefined) return credsAuthenticator(readFileSync(options.credsFile));
  return undefined;
}

/** The nats.js options for a node: never give up reconnecting, fail the first connect fast. */
export function connectionOptions(
  url: string,
  name: string,
  options: NatsConnectionOptions,
): ConnectionOptions {
  const wait = options.reconnectWaitMs ?? 250;
  if (!(wait >= 10) || !Number.isFinite(wait))
    throw new InvalidArgumentError(`cluster.nats.reconnectWaitMs must be a number >= 10, got ${wait}`);
  const auth = authenticator(options);
  return {
    servers: [url, ...(options.servers ?? [])],
    name,
    // A broker outage is ridden through: reconnect for as long as it takes, quickly.
    maxReconnectAttempts: -1,
    reconnectTimeWait: wait,
    reconnectJitter: Math.min(100, wait),
    // A broker that dies without closing the socket is noticed within ~10 s.
    pingInterval: 5000,
    maxPingOut: 2,
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(options.pass !== undefined ? { pass: options.pass } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(auth !== undefined ? { authenticator: auth } : {}),
    ...(options.tls !== undefined ? { tls: { ...options.tls } } : {}),
  };
}

/**
 * Connects a node to NATS.
 * @throws {NatsUnreachableError} when no server answers (or refuses the credentials) at startup.
 */
export async function connectNats(
  url: string,
  name: string,
  options: NatsConnectionOptions,
): Promise<NatsConnection> {
  const connection = connectionOptions(url, name, options);
  try {
    return await connect(connection);
  } catch (err) {
    throw new NatsUnreachableError((connection.servers as string[]).join(', '), err);
  }
}
