import { type Msg, type MsgHdrs, headers as natsHeaders } from 'nats';
import type { MessageHeaders } from '../actor/tracing-channels.js';

/** Most headers read from one arriving message; past it they are all ignored. */
const MAX_HEADERS = 32;
/** Most characters of names and values read from one arriving message (W3C baggage allows 8192). */
const MAX_HEADER_CHARS = 16 * 1024;

/** Message headers as NATS headers, so any NATS tool sees the trace context too. */
export function toNatsHeaders(headers: MessageHeaders): MsgHdrs {
  const h = natsHeaders();
  for (const [name, value] of Object.entries(headers)) h.set(name, value);
  return h;
}

/**
 * The headers of an arriving NATS message, or `undefined` when it has none. Headers are metadata
 * beside the message: ones that cannot be read, or too many or too large, are ignored and the
 * message itself is still delivered, unchanged.
 */
export function fromNatsHeaders(msg: Msg): MessageHeaders | undefined {
  try {
    const h = msg.headers;
    if (h === undefined) return undefined;
    const names = h.keys();
    if (names.length > MAX_HEADERS) return undefined;
    // No prototype: a header named `__proto__` from the wire is just a key.
    const headers: Record<string, string> = Object.create(null);
    let chars = 0;
    for (const name of names) {
      const value = h.get(name);
      chars += name.length + value.length;
      if (chars > MAX_HEADER_CHARS) return undefined;
      headers[name.toLowerCase()] = value;
    }
    return headers;
  } catch {
    return undefined;
  }
}
