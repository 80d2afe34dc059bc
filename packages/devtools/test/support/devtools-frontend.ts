// Chromium's own DevTools front-end, as the browser bundles it, loading the files the CLI writes.
// `devtools://devtools/bundled/…` cannot be opened from a page, but a Chromium started with
// `--remote-debugging-port` serves the same bundled front-end over HTTP at `/devtools/` (the
// `devtoolsFrontendUrl` of `/json/list`). A page of that origin imports its modules and runs its
// heap snapshot workers: the code the Memory panel loads a `.heapsnapshot` with, and the CPU
// profile model the profiler builds its tree from.
import { createServer } from 'node:net';
import type { Page } from 'playwright-core';

/** A free loopback port for `--remote-debugging-port`. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Opens a page on the origin of Chromium's DevTools front-end (the browser's debugging port). */
export async function openFrontendOrigin(page: Page, debuggingPort: number): Promise<void> {
  await page.goto(`http://127.0.0.1:${debuggingPort}/json/version`);
}

/** Calls the page-side function `code` (JavaScript text) with `source` in `page`. */
function runInPage(page: Page, code: string, source: string): Promise<unknown> {
  // The code is this file's own constant, turned into a function in the test's page.
  return page.evaluate(({ code, source }) => new Function(`return (${code})`)()(source), { code, source });
}

/** What DevTools made of a `.heapsnapshot`: the Summary view's rows, by constructor. */
export type HeapLoadResult =
  | { ok: true; constructors: Record<string, { count: number; self: number }> }
  | { ok: false; error: string };

// Page-side code as text: this package's types do not include the DOM (Worker, MessageChannel).
// The protocol is the front-end's own (HeapSnapshotProxy ↔ HeapSnapshotWorkerDispatcher): a
// loader in one worker is fed the file in chunks, and builds the snapshot with a second worker
// (reached through a MessageChannel) computing dominators and retained sizes, as the Memory panel does.
const LOAD_HEAP_SNAPSHOT = `async (source) => {
  const entry = '/devtools/entrypoints/heap_snapshot_worker/heap_snapshot_worker-entrypoint.js';
  const startWorker = () => new Promise((resolve, reject) => {
    const worker = new Worker(entry, { type: 'module' });
    worker.addEventListener('message', (e) => { if (e.data === 'workerReady') resolve(worker); });
    worker.addEventListener('error', (e) => reject(new Error('worker: ' + e.message)));
  });
  const [primary, secondary] = await Promise.all([startWorker(), startWorker()]);
  let lastCall = 0;
  const call = (worker, message, transfer = []) => new Promise((resolve, reject) => {
    const callId = ++lastCall;
    const onMessage = (e) => {
      if (e.data?.callId !== callId) return;
      worker.removeEventListener('message', onMessage);
      if (e.data.error) reject(new Error(e.data.error));
      else resolve(e.data.result);
    };
    worker.addEventListener('message', onMessage);
    worker.postMessage({ ...message, callId }, transfer);
  });
  try {
    await call(primary, { disposition: 'createLoader', objectId: 1 });
    const channel = new MessageChannel();
    await call(secondary, { disposition: 'setupForSecondaryInit', objectId: 2 }, [channel.port2]);
    const chunk = 1 << 20;
    for (let at = 0; at < source.length; at += chunk) {
      await call(primary, { disposition: 'method', objectId: 1, methodName: 'write', methodArguments: [source.slice(at, at + chunk)] });
    }
    await call(primary, { disposition: 'method', objectId: 1, methodName: 'close', methodArguments: [] });
    await call(primary, { disposition: 'factory', objectId: 1, methodName: 'buildSnapshot', methodArguments: [], newObjectId: 3 }, [channel.port1]);
    const aggregates = await call(primary, { disposition: 'method', objectId: 3, methodName: 'aggregatesWithFilter', methodArguments: [{}] });
    const constructors = {};
    // Keyed as the Summary view's rows are named (its keys are internal class keys).
    for (const row of Object.values(aggregates)) {
      const seen = constructors[row.name] ?? { count: 0, self: 0 };
      constructors[row.name] = { count: seen.count + row.count, self: seen.self + row.self };
    }
    return { ok: true, constructors };
  } catch (err) {
    return { ok: false, error: String(err.message ?? err) };
  } finally {
    primary.terminate();
    secondary.terminate();
  }
}`;

/** Loads `source` (a `.heapsnapshot`'s text) with the Memory panel's own loader and workers. */
export function loadHeapSnapshotInDevTools(page: Page, source: string): Promise<HeapLoadResult> {
  return runInPage(page, LOAD_HEAP_SNAPSHOT, source) as Promise<HeapLoadResult>;
}

/** What DevTools made of a `.cpuprofile`: each function of its call tree with its self time. */
export type CpuProfileLoadResult =
  | { ok: true; functions: Record<string, number>; samples: number }
  | { ok: false; error: string };

// The profile goes through JSON.parse first, as a file does: a file that is not JSON never
// reaches the model, and one that is must satisfy the model itself.
const LOAD_CPU_PROFILE = `async (source) => {
  try {
    const { CPUProfileDataModel } = await import('/devtools/models/cpu_profile/cpu_profile.js');
    const model = new CPUProfileDataModel.CPUProfileDataModel(JSON.parse(source));
    const functions = {};
    const stack = [model.profileHead];
    while (stack.length > 0) {
      const node = stack.pop();
      functions[node.functionName] = (functions[node.functionName] ?? 0) + node.self;
      stack.push(...node.children);
    }
    return { ok: true, functions, samples: model.samples?.length ?? 0 };
  } catch (err) {
    return { ok: false, error: String(err.message ?? err) };
  }
}`;

/** Loads `source` (a `.cpuprofile`'s text) into the DevTools front-end's CPU profile model. */
export function loadCpuProfileInDevTools(page: Page, source: string): Promise<CpuProfileLoadResult> {
  return runInPage(page, LOAD_CPU_PROFILE, source) as Promise<CpuProfileLoadResult>;
}
