// CPU profiles and heap snapshots of a live app, taken over the control socket, read as a person
// would: the busy function tops the self-time table; the leaking constructor tops what grew.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CpuProfile,
  diffHeapSummaries,
  HeapGraph,
  summarizeHeap,
  topFunctionsBySelfTime,
} from '../src/index.js';
import { capture } from './support/capture.js';
import { type InspectedApp, startInspectedApp } from './support/inspected-app.js';

let app: InspectedApp;
beforeAll(async () => {
  app = await startInspectedApp();
});
afterAll(async () => {
  await app?.stop();
});

/** Keeps `GET /burn` busy until `stop` is called. */
function burnLoad(): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) await (await fetch(`http://127.0.0.1:${app.port}/burn?ms=40`)).json();
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe('CPU profile', () => {
  it('writes a .cpuprofile whose top function by self time is the one spinning, with progress each second', async () => {
    const load = burnLoad();
    const { text, progress } = await capture(app.socket, 'cpu-profile', { seconds: 2.5 });
    await load.stop();
    const profile = JSON.parse(text) as CpuProfile;
    expect(profile.nodes.length).toBeGreaterThan(1);
    expect(profile.samples?.length).toBe(profile.timeDeltas?.length);
    expect(progress).toEqual(['profiling: 1 of 2.5 s', 'profiling: 2 of 2.5 s']);
    const top = topFunctionsBySelfTime(profile, 5);
    expect(top[0]).toMatchObject({
      functionName: 'spinTheWheel',
      location: expect.stringContaining('inspected-app.mjs'),
    });
    expect(top[0]!.selfPercent).toBeGreaterThan(20);
  });
});

describe('heap snapshots', () => {
  it('sums a snapshot by constructor with count, shallow and retained sizes from the dominator tree', async () => {
    const { text } = await capture(app.socket, 'heap-snapshot');
    const graph = HeapGraph.parse(text);
    // The root retains everything it reaches; no object retains less than itself.
    let reachable = 0;
    let shallow = 0;
    let retainsLessThanItself = 0;
    for (let i = 0; i < graph.nodeCount; i++) {
      if (!graph.reachable[i]) continue;
      reachable++;
      shallow += graph.selfSize[i]!;
      if (graph.retainedSize[i]! < graph.selfSize[i]!) retainsLessThanItself++;
    }
    expect(reachable).toBeGreaterThan(1000);
    expect(retainsLessThanItself).toBe(0);
    expect(graph.retainedSize[0]).toBe(shallow);
    const summary = summarizeHeap(graph);
    const objects = summary.constructors.find((c) => c.name === 'Object');
    expect(objects).toMatchObject({ count: expect.any(Number), shallowSize: expect.any(Number) });
    expect(objects!.retainedSize).toBeGreaterThanOrEqual(objects!.shallowSize);
    expect(summary.totalSize).toBe(shallow - graph.selfSize[0]!);
  }, 240_000);

  it('names the leaking constructor first in the diff of two snapshots', async () => {
    const before = summarizeHeap((await capture(app.socket, 'heap-snapshot')).text);
    const leaked = await (
      await fetch(`http://127.0.0.1:${app.port}/leak?n=20000`, { method: 'POST' })
    ).json();
    expect(leaked).toEqual({ leaked: 20_000 });
    const { text, progress } = await capture(app.socket, 'heap-snapshot');
    const after = summarizeHeap(text);
    expect(progress.some((p) => p.startsWith('walking the heap'))).toBe(true);
    const diff = diffHeapSummaries(before, after);
    expect(diff.grew[0]).toMatchObject({ name: 'LeakyRequestContext', countDelta: 20_000 });
    expect(diff.grew[0]!.retainedDelta).toBeGreaterThanOrEqual(diff.grew[0]!.shallowDelta);
    expect(after.constructors.find((c) => c.name === 'LeakyRequestContext')?.count).toBe(20_000);
  }, 240_000);

  it('refuses a file that is not a heap snapshot', () => {
    expect(() => HeapGraph.parse('{"nope":1}')).toThrow(
      expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' }),
    );
    expect(() => HeapGraph.parse('not json')).toThrow(/not JSON/);
  });
});
