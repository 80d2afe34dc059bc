// TLS listen options, validated once at listen() and shared by both engines: the node engine
// hands them to node:https, the io_uring engine (once its TLS transport is wired) to rustls.
// The rules mirror crates/zephyr-uring/src/tls/: the same versions, suites, ALPN and SNI checks.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ZephyrEngineError } from './errors.js';
import { describeValue, isRecord } from './option-values.js';

/** One certificate chain and its private key: PEM file paths, or PEM text already in memory. */
export type TlsCertificate =
  | {
      /** Path of a PEM file holding the certificate chain, leaf first. */
      cert: string;
      /** Path of a PEM file holding the unencrypted private key (PKCS#8, SEC1 or PKCS#1 RSA). */
      key: string;
    }
  | {
      /** The certificate chain as PEM text. */
      certPem: string | Uint8Array;
      /** The private key as PEM text. */
      keyPem: string | Uint8Array;
    };

/** The lowest TLS version a listener accepts; nothing older than 1.2 is ever offered. */
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

/**
 * HTTPS for {@link listen}: the default certificate, optional per-name certificates (SNI), the
 * ALPN list, the lowest version and the handshake deadline.
 *
 * @example
 * ```ts
 * const server = await listen(
 *   { port: 8443, tls: { cert: 'cert.pem', key: 'key.pem', sni: { 'api.example.com': { cert: 'api.pem', key: 'api.key' } } } },
 *   (req, res) => res.end('over TLS'),
 * );
 * ```
 */
export type TlsOptions = TlsCertificate & {
  /** Server name (`example.com` or `*.example.com`) → its certificate; others get the default. */
  sni?: Record<string, TlsCertificate>;
  /** ALPN protocol ids in order of preference (default `['http/1.1']`). */
  alpn?: readonly string[];
  /** Lowest accepted version (default `'TLSv1.2'`); TLS 1.3 is always accepted. */
  minVersion?: TlsMinVersion;
  /** Time a client has to finish the handshake (default 10 s). Then the connection is closed. */
  handshakeTimeoutMs?: number;
  /**
   * Ask for kernel TLS offload (`performance.kernel_tls`; default false). Where it cannot be
   * used, rustls (or node:tls) encrypts in user space and one log line says why.
   */
  kernelTls?: boolean;
};

/** A certificate chain and key read, decoded and checked to belong together. */
export interface ResolvedTlsCertificate {
  cert: Buffer;
  key: Buffer;
}

/** TLS options with every default filled in and every file read. */
export interface ResolvedTlsOptions extends ResolvedTlsCertificate {
  sni: Array<[name: string, certificate: ResolvedTlsCertificate]>;
  alpn: string[];
  minVersion: TlsMinVersion;
  handshakeTimeoutMs: number;
  kernelTls: boolean;
  /** The options as given, read again by a reload without arguments (SIGHUP). */
  source: TlsOptions;
}

/** The ALPN list when none is given. The HTTP/2 work adds `h2`. */
export const DEFAULT_ALPN: readonly string[] = Object.freeze(['http/1.1']);
/** How long a client may take over the handshake unless `handshakeTimeoutMs` says otherwise. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * The suites offered, in OpenSSL names: the three TLS 1.3 suites, and for TLS 1.2 only ECDHE key
 * exchange with an AEAD (AES-GCM, ChaCha20-Poly1305) — the same list rustls is given.
 */
export const MODERN_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

const TLS_KEYS = new Set([
  'cert',
  'key',
  'certPem',
  'keyPem',
  'sni',
  'alpn',
  'minVersion',
  'handshakeTimeoutMs',
  'kernelTls',
]);
const MIN_VERSIONS = new Set<string>(['TLSv1.2', 'TLSv1.3']);
// A timer cannot wait longer (2^31 - 1 ms).
const MAX_TIMER_MS = 0x7fff_ffff;
// RFC 1035 labels: letters, digits, hyphens, not at either end, at most 63 bytes.
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function invalid(message: string, cause?: unknown): ZephyrEngineError {
  return new ZephyrEngineError('ZEPHYR_ERR_INVALID_ARGUMENT', message, cause === undefined ? {} : { cause });
}

function pemText(where: string, kind: 'cert' | 'key', value: unknown, isPath: boolean): Buffer {
  if (isPath) {
    if (typeof value !== 'string' || value.length === 0) {
      throw invalid(`${where}.${kind} must be a file path, got ${describeValue(value)}`);
    }
    try {
      return readFileSync(value);
    } catch (err) {
      throw invalid(`${where}.${kind}: cannot read ${value}: ${(err as Error).message}`, err);
    }
  }
  const field = `${kind}Pem`;
  if (typeof value === 'string' && value.length > 0) return Buffer.from(value);
  if (value instanceof Uint8Array && value.length > 0) return Buffer.from(value);
  throw invalid(`${where}.${field} must be non-empty PEM text, got ${describeValue(value)}`);
}

/** Reads and checks one certificate entry: PEM blocks present, key usable, key = cert's key. */
function resolveCertificate(where: string, value: unknown): ResolvedTlsCertificate {
  if (!isRecord(value)) throw invalid(`${where} must be an object, got ${describeValue(value)}`);
  const byPath = value.cert !== undefined || value.key !== undefined;
  const byPem = value.certPem !== undefined || value.keyPem !== undefined;
  if (byPath === byPem) {
    throw invalid(
      `${where} needs either cert and key (file paths) or certPem and keyPem (PEM text), not both`,
    );
  }
  const source = (kind: 'cert' | 'key') => (byPath ? `${where}.${kind}` : `${where}.${kind}Pem`);
  const cert = pemText(where, 'cert', byPath ? value.cert : value.certPem, byPath);
  const key = pemText(where, 'key', byPath ? value.key : value.keyPem, byPath);
  let leaf: X509Certificate;
  try {
    // The first PEM block is the leaf; X509Certificate parses only that one.
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw invalid(`${source('cert')}: no usable certificate PEM block (${(err as Error).message})`, err);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw invalid(
      `${source('key')}: no usable private key (expected an unencrypted PKCS#8, SEC1 or PKCS#1 RSA PEM block): ${(err as Error).message}`,
      err,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw invalid(`${source('key')} does not match the certificate in ${source('cert')}`);
  }
  return { cert, key };
}

function checkServerName(name: string): void {
  const base = name.startsWith('*.') ? name.slice(2) : name;
  const labels = base.split('.');
  const valid =
    base.length > 0 &&
    base.length <= 253 &&
    isIP(base) === 0 &&
    labels.every((label) => DNS_LABEL.test(label.toLowerCase()));
  if (!valid)
    throw invalid(`tls.sni: invalid server name ${JSON.stringify(name)}: expected a DNS name or *.name`);
}

function resolveAlpn(value: unknown): string[] {
  if (value === undefined) return [...DEFAULT_ALPN];
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(`tls.alpn must be a non-empty array of protocol ids, got ${describeValue(value)}`);
  }
  const seen = new Set<string>();
  for (const id of value) {
    // RFC 7301 §3.1: a protocol id is 1 to 255 bytes.
    if (typeof id !== 'string' || id.length === 0 || Buffer.byteLength(id) > 255) {
      throw invalid(`tls.alpn: protocol ids are strings of 1 to 255 bytes, got ${describeValue(id)}`);
    }
    if (seen.has(id)) throw invalid(`tls.alpn: ${JSON.stringify(id)} is listed twice`);
    seen.add(id);
  }
  return [...value] as string[];
}

function resolveKernelTls(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw invalid(`tls.kernelTls must be a boolean, got ${describeValue(value)}`);
  return value;
}

/**
 * Validates TLS options, reads every PEM file and checks each key against its certificate, so a
 * wrong path or a mismatched key fails at `listen()` with `ZEPHYR_ERR_INVALID_ARGUMENT`, never at
 * the first handshake.
 *
 * @example
 * ```ts
 * const tls = resolveTlsOptions({ cert: 'cert.pem', key: 'key.pem' });
 * tls.alpn; // ['http/1.1']
 * ```
 */
export function resolveTlsOptions(value: unknown): ResolvedTlsOptions {
  if (!isRecord(value)) throw invalid(`tls must be an object, got ${describeValue(value)}`);
  for (const key of Object.keys(value)) {
    if (!TLS_KEYS.has(key)) {
      throw invalid(`unknown TLS option tls.${key}; known options: ${[...TLS_KEYS].join(', ')}`);
    }
  }
  const { cert, key } = resolveCertificate('tls', value);
  const sni: Array<[string, ResolvedTlsCertificate]> = [];
  if (value.sni !== undefined) {
    if (!isRecord(value.sni)) throw invalid(`tls.sni must be an object, got ${describeValue(value.sni)}`);
    const names = new Set<string>();
    for (const [name, entry] of Object.entries(value.sni)) {
      checkServerName(name);
      const lower = name.toLowerCase();
      if (names.has(lower)) throw invalid(`tls.sni: server name ${JSON.stringify(name)} is listed twice`);
      names.add(lower);
      sni.push([lower, resolveCertificate(`tls.sni[${JSON.stringify(name)}]`, entry)]);
    }
  }
  const minVersion = value.minVersion ?? 'TLSv1.2';
  if (typeof minVersion !== 'string' || !MIN_VERSIONS.has(minVersion)) {
    throw invalid(`tls.minVersion must be 'TLSv1.2' or 'TLSv1.3', got ${describeValue(minVersion)}`);
  }
  const timeout = value.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMER_MS) {
    throw invalid(
      `tls.handshakeTimeoutMs must be an integer from 1 to ${MAX_TIMER_MS}, got ${describeValue(timeout)}`,
    );
  }
  return {
    cert,
    key,
    sni,
    alpn: resolveAlpn(value.alpn),
    minVersion: minVersion as TlsMinVersion,
    handshakeTimeoutMs: timeout,
    kernelTls: resolveKernelTls(value.kernelTls),
    source: value as TlsOptions,
  };
}

/**
 * The certificate for a server name: exact match, then a `*.name` wildcard covering one label,
 * else `undefined` (the default certificate).
 */
export function certificateForName(
  sni: ReadonlyArray<readonly [string, ResolvedTlsCertificate]>,
  serverName: string,
): ResolvedTlsCertificate | undefined {
  const name = serverName.toLowerCase().replace(/\.$/, '');
  const exact = sni.find(([entry]) => entry === name);
  if (exact) return exact[1];
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const wildcard = `*.${name.slice(dot + 1)}`;
  return sni.find(([entry]) => entry === wildcard)?.[1];
}
