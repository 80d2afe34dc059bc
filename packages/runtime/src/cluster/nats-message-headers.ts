import { type Msg, type MsgHdrs, headers as natsHeaders } from 'nats';
import type { MessageHeaders } from '../actor/tracing-channels.js';

/** Message headers as NATS headers, so any NATS tool sees the trace context too. */
export function toNatsHeaders(headers: MessageHeaders): MsgHdrs {
  const h = natsHeaders();
  for (const [name, value] of Object.entries(headers)) h.set(name, value);
  return h;
}

/** The headers of an arriving NATS message, or `undefined` when it has none. */
export function fromNatsHeaders(msg: Msg): MessageHeaders | undefined {
  const h = msg.headers;
  if (h === undefined) return undefined;
  // No prototype: a header named `__proto__` from the wire is just a key.
  const headers: Record<string, string> = Object.create(null);
  for (const name of h.keys()) headers[name.toLowerCase()] = h.get(name);
  return headers;
}
