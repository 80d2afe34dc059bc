import { createHash } from 'node:crypto';
import type { ActorRouteReply, ActorRouteRequest } from 'zephyr';
// The thread-side entry: `zephyr` would load the whole framework into every actor thread.
import { defineActor } from 'zephyr/actor';

/** What `POST /checksum` validates before the actor sees it. */
export interface ChecksumBody {
  text: string;
  rounds: number;
}

/**
 * Hashes text `rounds` times with SHA-256: CPU work that would stall every other request on the
 * event loop, so it runs on an actor thread (`POST /checksum`, an actor route). Worker threads load
 * it by `kind` from the built `dist/checksum.js`.
 */
export const checksum = defineActor<ActorRouteRequest, { request: ActorRouteReply }>()({
  kind: 'playground-checksum',
  // Past this the watchdog replaces the thread; the route's own deadline (1 s) answers 504 first.
  handlerDeadlineMs: 2000,
  start: () => null,
  receive(_state, msg): ActorRouteReply {
    const { text, rounds } = msg.body as ChecksumBody;
    let digest = text;
    for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest('hex');
    return { body: { digest, rounds } };
  },
});
