import { ZephyrError } from '../errors.js';

/**
 * The pool did not answer an actor route within its `deadlineMs` (504). The request is abandoned;
 * the actor's thread watchdog (`handlerDeadlineMs`) is what stops the work itself.
 */
export class ActorRouteTimeoutError extends ZephyrError {
  constructor(deadlineMs: number) {
    super(
      'ZEPHYR_ERR_ACTOR_ROUTE_TIMEOUT',
      504,
      `the actor pool did not answer within the route's deadline of ${deadlineMs} ms`,
    );
  }
}

/** An actor answered an actor route with something that is not a response (500); the message says what. */
export class ActorRouteReplyError extends ZephyrError {
  constructor(problem: string) {
    super('ZEPHYR_ERR_ACTOR_ROUTE_REPLY', 500, `invalid actor route reply: ${problem}`);
  }
}
