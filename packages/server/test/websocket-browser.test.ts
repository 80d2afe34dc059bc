// A real browser (Debian's chromium, driven by playwright-core) against app.ws on each engine,
// over ws and over wss: connect, send, receive broadcasts, and reconnect after the server
// restarts. Over wss the browser trusts the test certificate by its pinned SPKI hash (certificate
// errors are not ignored wholesale).
// scripts/test-all.sh installs chromium (apt-get install -y chromium).
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';
import { type App, createApp, type Server } from '../src/index.js';
import { nextMessage, openClient } from './support/ws-clients.js';

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>chat</title>
<p id="status">connecting</p>
<input id="text"><button id="send">send</button>
<ul id="log"></ul>
<script>
  const room = 'lobby';
  let socket;
  let connects = 0;
  function connect() {
    socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat/' + room);
    socket.onopen = () => {
      connects += 1;
      document.getElementById('status').textContent = 'connected ' + connects;
    };
    socket.onmessage = (event) => {
      const li = document.createElement('li');
      li.textContent = JSON.parse(event.data).text;
      document.getElementById('log').append(li);
    };
    socket.onclose = () => {
      document.getElementById('status').textContent = 'reconnecting';
      setTimeout(connect, 200);
    };
  }
  document.getElementById('send').onclick = () => {
    const input = document.getElementById('text');
    socket.send(JSON.stringify({ text: input.value }));
    input.value = '';
  };
  connect();
</script>`;

function chatApp(): App {
  const app = createApp();
  app.get('/', (c) => c.html(PAGE));
  app.ws('/chat/:room', {
    open: (ws) => ws.subscribe(ws.params.room),
    message: (ws, message) => {
      const { text } = JSON.parse(String(message)) as { text: string };
      app.publish(ws.params.room, { text: `${ws.params.room}: ${text}` });
    },
  });
  return app;
}

let browser: Browser;
let dir = '';
let tls: { cert: string; key: string };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zephyr-wss-browser-'));
  tls = selfSignedCertificate({ cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
  // The base64 SHA-256 of the certificate's SubjectPublicKeyInfo: Chromium accepts this one
  // self-signed key and still refuses any other certificate error.
  const spki = new X509Certificate(readFileSync(tls.cert)).publicKey.export({ type: 'spki', format: 'der' });
  const pin = createHash('sha256').update(spki).digest('base64');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', `--ignore-certificate-errors-spki-list=${pin}`],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const CASES = (['node', 'io_uring'] as const).flatMap((engine) =>
  (['ws', 'wss'] as const).map((scheme) => [engine, scheme] as const),
);

describe.each(CASES)('app.ws in Chromium on the %s engine over %s', (engine, scheme) => {
  it('connects, sends, receives broadcasts, and reconnects after a server restart', {
    timeout: 60_000,
  }, async () => {
    const secure = scheme === 'wss';
    const listenOptions = secure ? { engine, tls } : { engine };
    let server: Server = await chatApp().listen({ port: 0, ...listenOptions });
    const port = server.port;
    const origin = secure ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      await expect.poll(() => page.textContent('#status'), { timeout: 20_000 }).toBe('connected 1');
      if (secure) expect(await page.evaluate('location.protocol')).toBe('https:');

      // The page's message is broadcast to every subscriber: the page itself and a node client.
      const peer = await openClient(`${scheme}://localhost:${port}/chat/lobby`, {
        ...(secure ? { ca: readFileSync(tls.cert) } : {}),
      });
      await page.fill('#text', 'hello from the browser');
      await page.click('#send');
      expect(JSON.parse(String(await nextMessage(peer)))).toEqual({ text: 'lobby: hello from the browser' });
      await expect
        .poll(() => page.textContent('#log'), { timeout: 20_000 })
        .toContain('lobby: hello from the browser');

      // And a broadcast from elsewhere reaches the page.
      peer.send(JSON.stringify({ text: 'hello from node' }));
      await expect
        .poll(() => page.textContent('#log'), { timeout: 20_000 })
        .toContain('lobby: hello from node');
      peer.terminate();

      // Restart on the same port: the page sees the close, reconnects, and chats again.
      await server.close();
      await expect.poll(() => page.textContent('#status'), { timeout: 20_000 }).toBe('reconnecting');
      server = await chatApp().listen({ port, ...listenOptions });
      await expect.poll(() => page.textContent('#status'), { timeout: 20_000 }).toBe('connected 2');
      await page.fill('#text', 'back again');
      await page.click('#send');
      await expect.poll(() => page.textContent('#log'), { timeout: 20_000 }).toContain('lobby: back again');
    } finally {
      await page.close();
      await server.close();
    }
  });
});
