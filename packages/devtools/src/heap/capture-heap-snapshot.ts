import type { OperationChannel } from '../control/control-server.js';
import { post, withInspector } from '../profile/inspector-session.js';

/**
 * Takes a heap snapshot of this process with `node:inspector` and sends it through `channel` as
 * V8 writes it, with progress lines while V8 walks the heap.
 */
export function captureHeapSnapshot(channel: OperationChannel): Promise<{ bytes: number }> {
  return withInspector('heap snapshot', async (session) => {
    let bytes = 0;
    let lastProgress = 0;
    session.on('HeapProfiler.addHeapSnapshotChunk', (message) => {
      const chunk = (message.params as { chunk: string }).chunk;
      bytes += Buffer.byteLength(chunk);
      channel.chunk(chunk);
    });
    session.on('HeapProfiler.reportHeapSnapshotProgress', (message) => {
      const { done, total } = message.params as { done: number; total: number };
      const now = Date.now();
      if (now - lastProgress >= 500) {
        lastProgress = now;
        channel.progress(`walking the heap: ${Math.round((done / Math.max(total, 1)) * 100)}%`);
      }
    });
    await post(session, 'HeapProfiler.takeHeapSnapshot', { reportProgress: true });
    return { bytes };
  });
}
