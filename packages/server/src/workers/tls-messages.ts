// TLS across the worker channel: the primary asks each worker to reload its certificates (an API
// call, or SIGHUP sent to the primary) or to report its counters, and each worker answers. The
// channel carries JSON, so PEM bytes cross as text.
import { emptyTlsCounters, type TlsCertificate, type TlsCounters, type TlsOptions } from '@zephyr/uring';

/** Primary → worker: reload (`tls`: these options; absent: the listener's files again), or report counters. */
export interface TlsQuestion {
  type: 'zephyr:tls?';
  id: number;
  ask: 'reload' | 'counters';
  tls?: TlsOptions;
}

/** Worker → primary: the answer to question `id`. */
export interface TlsAnswer {
  type: 'zephyr:tls';
  id: number;
  /** `counters`: the worker's counters (`null` on a plaintext listener). */
  counters?: TlsCounters | null;
  /** The question failed: the error's code and message. */
  error?: { code: string; message: string };
}

export function isTlsQuestion(value: unknown): value is TlsQuestion {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<TlsQuestion>;
  return m.type === 'zephyr:tls?' && typeof m.id === 'number' && (m.ask === 'reload' || m.ask === 'counters');
}

export function isTlsAnswer(value: unknown): value is TlsAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<TlsAnswer>;
  return m.type === 'zephyr:tls' && typeof m.id === 'number';
}

function pemAsText(pem: string | Uint8Array): string {
  return typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
}

function certificateForTransfer(certificate: TlsCertificate): TlsCertificate {
  if ('certPem' in certificate && certificate.certPem !== undefined) {
    return { ...certificate, certPem: pemAsText(certificate.certPem), keyPem: pemAsText(certificate.keyPem) };
  }
  return certificate;
}

/** `tls` with PEM bytes as text, so that it survives the JSON channel unchanged in meaning. */
export function tlsOptionsForTransfer(tls: TlsOptions): TlsOptions {
  const out = certificateForTransfer(tls) as TlsOptions;
  if (tls.sni === undefined) return out;
  return {
    ...out,
    sni: Object.fromEntries(
      Object.entries(tls.sni).map(([name, entry]) => [name, certificateForTransfer(entry)]),
    ),
  };
}

/** Adds up the counters of several workers (those that reported none count nothing). */
export function sumTlsCounters(all: ReadonlyArray<TlsCounters | null | undefined>): TlsCounters {
  const total = emptyTlsCounters();
  for (const counters of all) {
    if (counters == null) continue;
    for (const key of Object.keys(total) as Array<keyof TlsCounters>) total[key] += counters[key];
  }
  return total;
}
