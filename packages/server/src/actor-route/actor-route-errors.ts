import type { ErrorShape } from '../errors.js';

/**
 * The pool did not answer an actor route within its `deadlineMs` (504). The request is abandoned;
 * the actor's thread watchdog (`handlerDeadlineMs`) is what stops the work itself.
 */
export class ActorRouteTimeoutError extends Error implements ErrorShape {
  readonly code = 'ZEPHYR_ERR_ACTOR_ROUTE_TIMEOUT';
  readonly status = 504;
  readonly expose = false;
  constructor(deadlineMs: number) {
    super(`the actor pool did not answer within the route's deadline of ${deadlineMs} ms`);
    this.name = 'ActorRouteTimeoutError';
  }
}

/** An actor answered an actor route with something that is not a response (500); the message says what. */
export class ActorRouteReplyError extends Error implements ErrorShape {
  readonly code = 'ZEPHYR_ERR_ACTOR_ROUTE_REPLY';
  readonly status = 500;
  readonly expose = false;
  constructor(problem: string) {
    super(`invalid actor route reply: ${problem}`);
    this.name = 'ActorRouteReplyError';
  }
}
