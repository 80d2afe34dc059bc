import { readlinkSync } from 'node:fs';
import { constants, getPriority, setPriority } from 'node:os';

/** The weakest priority there is (nice 19): how far an increment can go. */
export const LOWEST_PRIORITY = constants.priority.PRIORITY_LOW;

/**
 * Lowers the calling thread's CPU priority by `increment` nice steps (Linux only: there
 * `setpriority` on a thread id applies to that thread alone, and `/proc/thread-self` names it).
 * Raising nice needs no privilege; it is capped at 19.
 */
export function lowerThreadPriority(increment: number): void {
  const link = readlinkSync('/proc/thread-self'); // "<pid>/task/<tid>"
  const tid = Number(link.slice(link.lastIndexOf('/') + 1));
  setPriority(tid, Math.min(LOWEST_PRIORITY, getPriority(tid) + increment));
}
