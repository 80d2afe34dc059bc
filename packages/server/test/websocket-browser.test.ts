// A real browser (Debian's chromium, driven by playwright-core) against app.ws on each engine: connect, send, receive broadcasts, and reconnect after the server restarts.
// scripts/test-all.sh installs chromium (apt-get install -y chromium).
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    socket = new WebSocket('ws://' + location.host + '/chat/' + room);
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
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe.each(['node', 'io_uring'] as const)('app.ws in Chromium on the %s engine', (engine) => {
  it('connects, sends, receives broadcasts, and reconnects after a server restart', {
    timeout: 60_000,
  }, async () => {
    let server: Server = await chatApp().listen({ port: 0, engine });
    const port = server.port;
    const page = await browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      await expect.poll(() => page.textContent('#status'), { timeout: 20_000 }).toBe('connected 1');

      // The page's message is broadcast to every subscriber: the page itself and a node client.
      const peer = await openClient(`ws://127.0.0.1:${port}/chat/lobby`);
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
      server = await chatApp().listen({ port, engine });
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
