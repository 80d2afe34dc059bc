import type { IncomingMessage } from 'node:http';
import type { EngineLimits } from './engine.js';

/** {@link admissionStatus} for an acceptable request whose body is chunked (length unknown). */
export const ADMIT_CHUNKED = -1;

/** A Host value: reg-name / IPv4 / IP-literal characters and `:` port (the io_uring parser's `is_host`). */
const HOST_VALUE = /^[A-Za-z0-9\-._~%!$&'()*+,;=:[\]]*$/;

/**
 * Decides whether node:http's parse of a request head is acceptable under the engine contract,
 * returning the status to refuse it with, 0 to serve it, or {@link ADMIT_CHUNKED} to serve it
 * while watching its chunked body, whose size only shows as it arrives.
 *
 * llhttp (node's parser, strict mode) already refuses malformed framing with 400, heads longer
 * than `maxHeaderSize` with 431 and a missing Host with 400. What it does not do, and the
 * io_uring engine does, is checked here from the parsed head, before the handler runs and before
 * any of the body is read:
 * - 400 for an HTTP/0.9 request line (no version), 505 for a version other than 1.0/1.1,
 * - 414 for a target longer than `maxUrlLength` (node has no URL limit),
 * - 431 for more than `maxHeaderCount` fields, or a head longer than `maxHeaderBytes`,
 * - 400 for a second Host field, or a Host value outside `uri-host [ ":" port ]` (RFC 9112 §3.2;
 *   llhttp takes any value, including SP, `/` and `@`),
 * - 400 for Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1: faulty framing),
 * - 400 for a transfer-coding list that does not end in `chunked` (RFC 9112 §6.3; llhttp flags
 *   it only after node has already emitted the request); empty list elements are skipped, as
 *   RFC 9110 §5.6.1 asks (llhttp passes `,chunked` through),
 * - 501 for any coding besides `chunked` (llhttp decodes the chunked layer of `gzip, chunked` and
 *   would hand the handler still-gzipped bytes),
 * - 413 for a declared Content-Length above `maxBodyBytes`.
 *
 * The head's size is counted as the bytes of its canonical form (`name: value\r\n` per field):
 * node does not expose the raw bytes, and llhttp has already refused every non-canonical
 * spelling except optional whitespace around values, which this count may miss by a byte or two.
 */
export function admissionStatus(req: IncomingMessage, limits: EngineLimits): number {
  // llhttp takes a request line without a version for HTTP/0.9: to HTTP/1 that line is malformed.
  if (req.httpVersionMajor === 0) return 400;
  if (req.httpVersionMajor !== 1 || (req.httpVersionMinor !== 0 && req.httpVersionMinor !== 1)) return 505;
  const url = req.url ?? '';
  if (url.length > limits.maxUrlLength) return 414;
  const raw = req.rawHeaders;
  if (raw.length / 2 > limits.maxHeaderCount) return 431;
  // Request line: method SP target SP HTTP/x.y CRLF; then the blank line's CRLF.
  let bytes = (req.method ?? '').length + url.length + 12 + 2;
  let transferEncoding: string | undefined;
  let contentLength: string | undefined;
  let hosts = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    bytes += name.length + value.length + 4;
    // Cheap length test first: only two names matter here.
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') transferEncoding = value;
    else if (name.length === 14 && name.toLowerCase() === 'content-length') contentLength = value;
    else if (name.length === 4 && name.toLowerCase() === 'host') {
      hosts++;
      if (hosts > 1 || !HOST_VALUE.test(value)) return 400;
    }
  }
  if (bytes > limits.maxHeaderBytes) return 431;
  if (transferEncoding !== undefined) {
    if (req.httpVersionMinor === 0) return 400;
    // llhttp reports a coding list not ending in chunked only after node has emitted the request.
    const codings = transferEncoding
      .toLowerCase()
      .split(',')
      .map((coding) => coding.trim())
      .filter((coding) => coding !== '');
    if (codings[codings.length - 1] !== 'chunked') return 400;
    if (codings.length > 1) return 501;
    return ADMIT_CHUNKED;
  }
  // llhttp has checked it is a single run of digits.
  if (contentLength !== undefined && Number(contentLength) > limits.maxBodyBytes) return 413;
  return 0;
}
