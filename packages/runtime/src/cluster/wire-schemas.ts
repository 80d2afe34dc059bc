import type { ExitReason } from '../actor/message.js';
import type { MailboxOptions } from '../mailbox/mailbox.js';

/**
 * Schemas of what arrives on each cluster subject. Anything on the wire may be junk (a stray
 * client, a fuzzer, another version): each decoded payload is checked here before any field is
 * used, and a payload that fails is dropped by the caller (counted and logged), never thrown
 * into the NATS client.
 */

/** Addresses as this runtime creates them: `node/id`, both parts from the node-id alphabet. */
const ADDRESS = /^[A-Za-z0-9_-]{1,128}\/[A-Za-z0-9_-]{1,128}$/;
const NODE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** A check's verdict: the typed value, or why it is not one. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly why: string };

const bad = (why: string): { ok: false; why: string } => ({ ok: false, why });

/** Whether `value` is a node id as this runtime writes them (one NATS subject token). */
export function isNodeId(value: unknown): value is string {
  return typeof value === 'string' && NODE_ID.test(value);
}

export function isAddress(value: unknown): value is string {
  return typeof value === 'string' && ADDRESS.test(value);
}

export function checkExitReason(value: unknown): Checked<ExitReason> {
  if (typeof value !== 'object' || value === null) return bad('exit reason is not an object');
  const type = (value as { type?: unknown }).type;
  if (type === 'normal' || type === 'shutdown') return { ok: true, value: { type } };
  if (type === 'error') return { ok: true, value: { type, error: (value as { error?: unknown }).error } };
  return bad('exit reason has no known type');
}

/** `zph.<cluster>.exit.<node>`: `[address, reason]`. */
export function checkExit(value: unknown): Checked<[string, ExitReason]> {
  if (!Array.isArray(value) || value.length !== 2) return bad('exit report is not [address, reason]');
  if (!isAddress(value[0])) return bad('exit report has no valid address');
  const reason = checkExitReason(value[1]);
  return reason.ok ? { ok: true, value: [value[0], reason.value] } : reason;
}

/** A control request, by operation. */
export type ControlRequest =
  | {
      readonly op: 'spawn';
      readonly address: string;
      readonly supervisor: string;
      readonly kind: string;
      readonly mailbox: MailboxOptions | null;
    }
  | { readonly op: 'halt'; readonly address: string; readonly supervisor: string; readonly reason: unknown }
  | { readonly op: 'resume'; readonly address: string; readonly supervisor: string; readonly delayMs: number }
  | {
      readonly op: 'stop';
      readonly address: string;
      readonly supervisor: string;
      readonly reason: ExitReason;
    }
  /** Asked of a supervisor node: which node hosts `address` now (a host checks after reconnecting). */
  | { readonly op: 'host-of'; readonly address: string; readonly supervisor: string };

function checkMailbox(value: unknown): Checked<MailboxOptions | null> {
  if (value === null) return { ok: true, value: null };
  if (typeof value !== 'object' || Array.isArray(value)) return bad('spawn mailbox is not an object');
  const { capacity, overflow } = value as { capacity?: unknown; overflow?: unknown };
  if (capacity !== undefined && capacity !== null && typeof capacity !== 'number')
    return bad('spawn mailbox capacity is not a number');
  if (overflow !== undefined && overflow !== null && typeof overflow !== 'string')
    return bad('spawn mailbox overflow is not a string');
  // The Mailbox constructor checks the values themselves (and the host answers its error).
  return {
    ok: true,
    value: {
      ...(typeof capacity === 'number' ? { capacity } : {}),
      ...(typeof overflow === 'string' ? { overflow: overflow as MailboxOptions['overflow'] & string } : {}),
    },
  };
}

/** `zph.<cluster>.ctl.<node>`: `[op, address, arg, supervisorNode]`. */
export function checkControl(value: unknown): Checked<ControlRequest> {
  if (!Array.isArray(value) || value.length !== 4)
    return bad('control request is not [op, address, arg, node]');
  const [op, address, arg, supervisor] = value as [unknown, unknown, unknown, unknown];
  if (!isAddress(address)) return bad('control request has no valid address');
  if (!isNodeId(supervisor)) return bad('control request has no valid supervisor node');
  switch (op) {
    case 'spawn': {
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string')
        return bad('spawn argument is not [kind, mailbox]');
      const mailbox = checkMailbox(arg[1]);
      if (!mailbox.ok) return mailbox;
      return { ok: true, value: { op, address, supervisor, kind: arg[0], mailbox: mailbox.value } };
    }
    case 'halt':
      return { ok: true, value: { op, address, supervisor, reason: arg } };
    case 'resume':
      if (typeof arg !== 'number' || !(arg >= 0)) return bad('resume argument is not a delay >= 0');
      return { ok: true, value: { op, address, supervisor, delayMs: arg } };
    case 'host-of':
      return { ok: true, value: { op, address, supervisor } };
    case 'stop': {
      const reason = checkExitReason(arg);
      return reason.ok ? { ok: true, value: { op, address, supervisor, reason: reason.value } } : reason;
    }
    default:
      return bad('control request has an unknown operation');
  }
}

/** A reply to a request (ask or control): `[ok, value]`. */
export function checkReply(value: unknown): Checked<[boolean, unknown]> {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'boolean')
    return bad('reply is not [ok, value]');
  return { ok: true, value: [value[0], value[1]] };
}
