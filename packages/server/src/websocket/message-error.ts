/** One failed check of a WebSocket message against its route's schema. */
export interface MessageIssue {
  /** Dotted path inside the message, e.g. `items.0.name`; `''` for the message itself. */
  path: string;
  message: string;
}

/**
 * A WebSocket message failed its route's `schema` (or was not JSON, or was binary where JSON
 * was expected). Passed to the route's `invalid` handler; without one the connection is closed
 * with {@link CLOSE_INVALID_MESSAGE}.
 */
export class WebSocketMessageError extends Error {
  readonly code = 'ZEPHYR_ERR_WS_INVALID_MESSAGE';
  readonly expose = true;
  readonly issues: readonly MessageIssue[];

  constructor(issues: readonly MessageIssue[]) {
    super(
      `invalid WebSocket message: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    );
    this.name = 'WebSocketMessageError';
    this.issues = issues;
  }
}

/** Close code for a message that fails its schema: 1007 (RFC 6455, "inconsistent with the type of the message"). */
export const CLOSE_INVALID_MESSAGE = 1007;
