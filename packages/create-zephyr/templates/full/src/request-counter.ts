import { defineActor } from '@zephyr/runtime';

export type CounterMessage = { type: 'hit'; route: string } | { type: 'counts' };

/**
 * Counts requests per route. An actor: concurrent requests never race on the counts, and the state
 * lives in one place that its supervisor restarts (empty) if it ever crashes.
 */
export const requestCounter = defineActor<CounterMessage, Record<string, number>>()({
  start: () => new Map<string, number>(),
  receive(counts, msg) {
    switch (msg.type) {
      case 'hit':
        counts.set(msg.route, (counts.get(msg.route) ?? 0) + 1);
        return undefined;
      case 'counts':
        return Object.fromEntries(counts);
    }
  },
});
