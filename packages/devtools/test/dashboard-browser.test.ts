// A real browser (Debian's chromium, driven by playwright-core, launched as the server's
// WebSocket browser test does) against the dashboard of an app under load: each section shows
// its content, and a screenshot is saved. Then the .cpuprofile and .heapsnapshot the app wrote are
// parsed by Chromium and checked against what DevTools' loaders require of them.
// scripts/test-all.sh installs chromium (apt-get install -y chromium).
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture } from './support/capture.js';
import { type InspectedApp, startInspectedApp } from './support/inspected-app.js';
import { generateLoad } from './support/load.js';

const outputDir = join(tmpdir(), 'zephyr-devtools-browser-test');

let browser: Browser;
let app: InspectedApp;
beforeAll(async () => {
  mkdirSync(outputDir, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  app = await startInspectedApp();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('the dashboard in Chromium', () => {
  it('shows every section with live content while a load generator runs, and is screenshotted', async () => {
    const base = `http://127.0.0.1:${app.port}`;
    const load = generateLoad(base, ['/users', '/echo/hello', '/', '/burn?ms=2'], 8);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    try {
      await page.goto(`${base}/_zephyr`);
      // Live numbers: the rate and percentiles come from the load running now.
      // (Page-side expressions as strings: this package's types do not include the DOM.)
      await page.waitForFunction(
        "parseFloat(document.getElementById('rate-value')?.textContent ?? '0') > 0",
        null,
        {
          timeout: 30_000,
        },
      );
      await page.waitForFunction("document.querySelectorAll('#traces details').length > 0", null, {
        timeout: 30_000,
      });
      await page.waitForFunction("document.querySelector('#rps-chart polyline') !== null");
      const text = async (selector: string) =>
        // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, table cells apart, is what a person reads
        (await page.locator(selector).innerText()).replace(/\s+/g, ' ');

      expect(await text('#latency')).toMatch(/p50 [\d.]+ ms · p95 [\d.]+ ms · p99 [\d.]+ ms/);
      expect(await text('#routes')).toMatch(/GET \/users/);
      expect(await text('#routes')).toMatch(/POST \/leak/);
      const traces = await text('#traces');
      expect(traces).toMatch(/\d+ spans/);
      // One waterfall is open, its spans drawn as bars (the list refreshes each second).
      await page.waitForFunction("document.querySelectorAll('#traces details[open] .bar').length > 0");
      const actors = await text('#actors');
      expect(actors).toMatch(/visits mailbox \d+ · restarts 0/);
      expect(actors).toMatch(/pool/);
      expect(actors).toMatch(/dead letters: \d+/);
      const database = await text('#database');
      expect(database).toContain('20261201000000_users');
      expect(database).toContain('applied');
      expect(database).toContain('pool: none (one embedded connection)');
      expect(await text('#process')).toMatch(
        /event-loop delay p99 [\d.]+ ms .* rss [\d.]+ MiB · heap [\d.]+ MiB/,
      );
      expect(await page.locator('#memory-chart polyline').count()).toBe(2);

      const screenshot = join(outputDir, `dashboard-under-load-${app.engine}.png`);
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).toBeGreaterThan(20_000);
      console.log(`dashboard screenshot: ${screenshot}`);
    } finally {
      await page.close();
      const { ok, failed } = await load.stop();
      expect(ok).toBeGreaterThan(50);
      expect(failed).toBe(0);
    }
  });
});

describe('profiles in Chromium', () => {
  it("parses the .cpuprofile as DevTools' CPU profile model requires", async () => {
    const { text } = await capture(app.socket, 'cpu-profile', { seconds: 1 });
    writeFileSync(join(outputDir, 'app.cpuprofile'), text);
    const page = await browser.newPage();
    try {
      const problems = await page.evaluate((source) => {
        const p = JSON.parse(source);
        const out: string[] = [];
        if (!Array.isArray(p.nodes) || p.nodes.length === 0) out.push('nodes');
        const ids = new Set(p.nodes.map((n: { id: number }) => n.id));
        for (const n of p.nodes) {
          const f = n.callFrame;
          if (
            typeof n.id !== 'number' ||
            !f ||
            typeof f.functionName !== 'string' ||
            typeof f.url !== 'string'
          )
            out.push(`node ${n.id} callFrame`);
          if (
            typeof f.lineNumber !== 'number' ||
            typeof f.columnNumber !== 'number' ||
            typeof f.scriptId !== 'string'
          )
            out.push(`node ${n.id} position`);
          for (const c of n.children ?? []) if (!ids.has(c)) out.push(`node ${n.id} child ${c}`);
        }
        if (p.nodes[0].callFrame.functionName !== '(root)') out.push('root');
        if (!(p.endTime > p.startTime)) out.push('times');
        if (p.samples.length !== p.timeDeltas.length || p.samples.length === 0) out.push('samples');
        for (const s of p.samples) if (!ids.has(s)) out.push(`sample ${s}`);
        return out;
      }, text);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("parses the .heapsnapshot as DevTools' heap snapshot loader requires", async () => {
    const { text } = await capture(app.socket, 'heap-snapshot');
    writeFileSync(join(outputDir, 'app.heapsnapshot'), text);
    const page = await browser.newPage();
    try {
      const problems = await page.evaluate((source) => {
        const h = JSON.parse(source);
        const out: string[] = [];
        const meta = h.snapshot.meta;
        for (const f of ['type', 'name', 'id', 'self_size', 'edge_count'])
          if (!meta.node_fields.includes(f)) out.push(`node field ${f}`);
        for (const f of ['type', 'name_or_index', 'to_node'])
          if (!meta.edge_fields.includes(f)) out.push(`edge field ${f}`);
        const nf = meta.node_fields.length;
        const ef = meta.edge_fields.length;
        if (h.nodes.length !== h.snapshot.node_count * nf) out.push('node_count');
        if (h.edges.length !== h.snapshot.edge_count * ef) out.push('edge_count');
        const ec = meta.node_fields.indexOf('edge_count');
        const nameAt = meta.node_fields.indexOf('name');
        let edges = 0;
        for (let i = 0; i < h.nodes.length; i += nf) {
          edges += h.nodes[i + ec];
          if (h.nodes[i + nameAt] >= h.strings.length) out.push(`node ${i / nf} name`);
        }
        if (edges !== h.snapshot.edge_count) out.push('edge counts');
        const to = meta.edge_fields.indexOf('to_node');
        for (let i = 0; i < h.edges.length; i += ef) {
          const t = h.edges[i + to];
          if (t % nf !== 0 || t >= h.nodes.length) {
            out.push(`edge ${i / ef} to_node`);
            break;
          }
        }
        if (meta.node_types[0][h.nodes[meta.node_fields.indexOf('type')]] !== 'synthetic')
          out.push('root type');
        return out;
      }, text);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 240_000);
});
