import type { OperationChannel } from '../control/control-server.js';
import { post, withInspector } from '../profile/inspector-session.js';

/**
 * Takes a heap snapshot of this process with `node:inspector` and sends it through `channel` as
 * V8 writes it, with a progress line at most every second while it streams.
 */
export function captureHeapSnapshot(channel: OperationChannel): Promise<{ bytes: number }> {
  return withInspector('heap snapshot', async (session) => {
    let bytes = 0;
    let lastProgress = Date.now();
    channel.progress('walking the heap (the app pauses meanwhile)');
    session.on('HeapProfiler.addHeapSnapshotChunk', (message) => {
      const chunk = (message.params as { chunk: string }).chunk;
      bytes += Buffer.byteLength(chunk);
      channel.chunk(chunk);
      if (Date.now() - lastProgress >= 1000) {
        lastProgress = Date.now();
        channel.progress(`writing the snapshot: ${(bytes / 1048576).toFixed(1)} MiB`);
      }
    });
    // Not `reportProgress: true`: with an in-process session it crashes Node 20 (SIGSEGV).
    await post(session, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    return { bytes };
  });
}
