import type { OperationChannel } from '../control/control-server.js';
import { InvalidArgumentError } from '../devtools-errors.js';
import { post, withInspector } from './inspector-session.js';

/** Longest CPU profile (5 minutes): longer runs make files DevTools struggles to open. */
export const MAX_PROFILE_SECONDS = 300;
/** Size of the pieces a profile or snapshot is sent in. */
export const CHUNK_SIZE = 256 * 1024;

/** Sends `text` through `channel` in {@link CHUNK_SIZE} pieces. */
export function sendInChunks(text: string, channel: OperationChannel): void {
  for (let at = 0; at < text.length && !channel.closed; at += CHUNK_SIZE)
    channel.chunk(text.slice(at, at + CHUNK_SIZE));
}

/** Validates the `seconds` of a profile request. */
export function profileSeconds(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_PROFILE_SECONDS)
    throw new InvalidArgumentError(
      `seconds must be a number in (0, ${MAX_PROFILE_SECONDS}], got ${String(value)}`,
    );
  return value;
}

/**
 * Profiles this process's CPU for `seconds` with `node:inspector` and sends the `.cpuprofile`
 * JSON through `channel` in chunks, with a progress line each second.
 */
export function captureCpuProfile(seconds: number, channel: OperationChannel): Promise<{ bytes: number }> {
  return withInspector('CPU profile', async (session) => {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 1000 });
    await post(session, 'Profiler.start');
    const started = Date.now();
    const until = started + seconds * 1000;
    // Checks often, so a client that leaves frees the inspector at once; reports each second.
    let reported = started;
    while (Date.now() < until && !channel.closed) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, until - Date.now())));
      if (Date.now() - reported >= 1000) {
        reported = Date.now();
        channel.progress(`profiling: ${Math.round((reported - started) / 1000)} of ${seconds} s`);
      }
    }
    const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
    await post(session, 'Profiler.disable');
    const text = JSON.stringify(profile);
    sendInChunks(text, channel);
    return { bytes: Buffer.byteLength(text) };
  });
}
