// The Zephyr actor kind of the heavy route, loaded by the actor threads.
// The thread-side entry: the package's main one would load zod, pools and limiters into the thread.
import { defineActor } from '@zephyr/runtime/actor';
import { ROUNDS, work } from './work.mjs';

export const hasher = defineActor()({
  kind: 'bench-hasher',
  handlerDeadlineMs: 10_000,
  start: () => null,
  receive: (_state, msg) => ({ body: { digest: work(msg.body.text, ROUNDS) } }),
});
