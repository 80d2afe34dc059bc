import { defineActor } from 'zephyr';

export type VisitMessage =
  | { type: 'visit'; client: string }
  | { type: 'count'; client: string }
  | { type: 'top' };

/**
 * Counts requests per client. An actor, so counts from concurrent requests never race, and the
 * state lives in one place that a supervisor restarts (empty) if it ever crashes.
 */
export const visitCounter = defineActor<VisitMessage, { count: number; top: Array<[string, number]> }>()({
  start: () => new Map<string, number>(),
  receive(counts, msg) {
    switch (msg.type) {
      case 'visit':
        counts.set(msg.client, (counts.get(msg.client) ?? 0) + 1);
        return undefined;
      case 'count':
        return counts.get(msg.client) ?? 0;
      case 'top':
        return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 10);
    }
  },
});
