// The Zephyr actor kind of the heavy route, loaded by the actor threads.
import { defineActor } from '@zephyr/runtime';
import { ROUNDS, work } from './work.mjs';

export const hasher = defineActor()({
  kind: 'bench-hasher',
  handlerDeadlineMs: 10_000,
  start: () => null,
  receive: (_state, msg) => ({ body: { digest: work(msg.body.text, ROUNDS) } }),
});
