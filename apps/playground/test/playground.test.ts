// The playground as a user runs it: the built app in its own process, on each engine and on each
// database, driven over real HTTP.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const main = new URL('../dist/main.js', import.meta.url).pathname;

interface Running {
  url: string;
  child: ChildProcess;
  output: () => string;
}

async function start(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      const match = /listening on (http:\/\/\S+\/)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`playground exited with ${code}:\n${output}`)));
  });
  return { url, child, output: () => output };
}

async function stop(running: Running | undefined): Promise<number | null> {
  if (!running || running.child.exitCode !== null) return running?.child.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGTERM');
  return exited;
}

/** A response body as the test reads it: JSON of a shape the assertions then check. */
// biome-ignore lint/suspicious/noExplicitAny: assertions below check the shape; a cast per line would add nothing.
type Json = any;
const read = async (res: Response): Promise<Json> => res.json();

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

function createPostgresDatabase(): { url: string; drop: () => void } {
  const admin = process.env.ZEPHYR_TEST_PG_URL;
  if (!admin) throw new Error('ZEPHYR_TEST_PG_URL is not set: run `eval "$(bash .ci/services.sh)"` first');
  const name = `playground_${randomBytes(4).toString('hex')}`;
  execFileSync('psql', [admin, '-q', '-c', `create database ${name}`]);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => execFileSync('psql', [admin, '-q', '-c', `drop database ${name} with (force)`]),
  };
}

const cases = [
  { engine: 'io_uring', database: 'pglite' },
  { engine: 'node', database: 'pglite' },
  { engine: 'io_uring', database: 'postgres' },
] as const;

describe.each(cases)('playground on $engine with $database', ({ engine, database }) => {
  let app: Running | undefined;
  let postgres: { url: string; drop: () => void } | undefined;

  beforeAll(async () => {
    const env: Record<string, string> = { ZEPHYR_IO_ENGINE: engine };
    if (database === 'postgres') {
      postgres = createPostgresDatabase();
      env.DATABASE_URL = postgres.url;
    } else {
      env.PLAYGROUND_DATA_DIR = mkdtempSync(join(tmpdir(), 'zephyr-playground-'));
    }
    app = await start(env);
  }, 90_000);

  afterAll(async () => {
    await stop(app);
    postgres?.drop();
  });

  it('prints its URL and answers GET / on the chosen engine and database', async () => {
    expect(app!.output()).toContain(`(engine: ${engine})`);
    const res = await fetch(app!.url);
    expect(res.status).toBe(200);
    expect(await read(res)).toMatchObject({ name: 'Zephyr playground', database });
  });

  it('stores users and notes and reads them back with their relations', async () => {
    const user = await read(await fetch(`${app!.url}users`, json({ name: 'Ada', email: 'ada@example.com' })));
    expect(user).toMatchObject({ id: expect.any(Number), name: 'Ada' });
    const note = await fetch(
      `${app!.url}users/${user.id}/notes`,
      json({ title: 'engines', body: 'io_uring' }),
    );
    expect(note.status).toBe(201);
    const withNotes = await read(await fetch(`${app!.url}users/${user.id}`));
    expect(withNotes.notes).toEqual([expect.objectContaining({ title: 'engines', body: 'io_uring' })]);
    const page = await read(await fetch(`${app!.url}notes?first=10`));
    expect(page.rows[0]).toMatchObject({ title: 'engines', author: { name: 'Ada' } });
  });

  it('pushes note changes to every /live/notes subscriber', async () => {
    const live = `${app!.url.replace(/^http/, 'ws')}live/notes`;
    const subscribers = await Promise.all(
      [1, 2].map(
        () =>
          new Promise<{ ws: WebSocket; next: () => Promise<Json> }>((resolve, reject) => {
            const ws = new WebSocket(live);
            const queue: Json[] = [];
            const waiting: Array<(m: Json) => void> = [];
            ws.on('message', (data) => {
              const message = JSON.parse(String(data));
              const waiter = waiting.shift();
              if (waiter) waiter(message);
              else queue.push(message);
            });
            const next = (): Promise<Json> =>
              queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((r) => waiting.push(r));
            ws.once('open', () => resolve({ ws, next }));
            ws.once('error', reject);
          }),
      ),
    );
    try {
      const user = await read(
        await fetch(`${app!.url}users`, json({ name: 'Live', email: 'live@example.com' })),
      );
      const created = await read(await fetch(`${app!.url}users/${user.id}/notes`, json({ title: 'pushed' })));
      for (const s of subscribers) {
        expect(await s.next()).toEqual({
          type: 'created',
          note: expect.objectContaining({ title: 'pushed' }),
        });
      }
      expect((await fetch(`${app!.url}notes/${created.id}`, { method: 'DELETE' })).status).toBe(204);
      for (const s of subscribers) expect(await s.next()).toEqual({ type: 'deleted', id: created.id });
    } finally {
      for (const s of subscribers) s.ws.terminate();
    }
  });

  it('validates bodies with the table schema and maps constraint errors to 4xx', async () => {
    const invalid = await fetch(`${app!.url}users`, json({ name: 'x' }));
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toContain('application/problem+json');
    expect((await read(invalid)).issues).toEqual([expect.objectContaining({ in: 'body', path: 'email' })]);

    await fetch(`${app!.url}users`, json({ name: 'Bo', email: 'bo@example.com' }));
    const duplicate = await fetch(`${app!.url}users`, json({ name: 'Bo', email: 'bo@example.com' }));
    expect(duplicate.status).toBe(409);
    expect((await read(duplicate)).detail).toContain('users_email_key');

    const orphan = await fetch(`${app!.url}users/999999/notes`, json({ title: 'nobody' }));
    expect(orphan.status).toBe(404);
    const blank = await fetch(`${app!.url}users/1/notes`, json({ title: '   ' }));
    expect(blank.status).toBe(422);
  });

  it('answers a malformed pagination cursor with a 400 problem, never a stack or a file path', async () => {
    const res = await fetch(`${app!.url}notes?after=garbage`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = await read(res);
    expect(body).toMatchObject({ status: 400, detail: 'malformed pagination cursor' });
    expect(JSON.stringify(body)).not.toMatch(/stack|\/src\/|node_modules|\.js:\d+/);
  });

  it('answers JSON sent without content-type with a 415 that says what to send', async () => {
    const res = await fetch(`${app!.url}users`, {
      method: 'POST',
      body: new TextEncoder().encode(JSON.stringify({ name: 'Ada', email: 'ada2@example.com' })),
    });
    expect(res.status).toBe(415);
    expect((await read(res)).detail).toContain('content-type: application/json');
  });

  it('answers a missing static file with a 404 problem', async () => {
    const res = await fetch(`${app!.url}static/missing.txt`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('describes its API at /openapi.json and serves the reference UI at /docs', async () => {
    const doc = await read(await fetch(`${app!.url}openapi.json`));
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/users', '/users/{id}', '/users/{id}/notes', '/notes', '/notes/{id}']),
    );
    expect(doc.paths['/users'].post.requestBody.content['application/json'].schema.required).toContain(
      'email',
    );
    const ui = await fetch(`${app!.url}docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('/openapi.json');
    expect((await fetch(`${app!.url}docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('serves static files, with ranges', async () => {
    const whole = await fetch(`${app!.url}static/hello.txt`);
    expect(whole.status).toBe(200);
    expect(await whole.text()).toMatch(/^Hello from Zephyr/);
    const part = await fetch(`${app!.url}static/hello.txt`, { headers: { range: 'bytes=0-4' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('Hello');
    expect((await fetch(`${app!.url}static/..%2fpackage.json`)).status).toBeGreaterThanOrEqual(400);
  });

  it('counts visits per client in an actor', async () => {
    const before = (await read(await fetch(`${app!.url}stats`))).you;
    await fetch(`${app!.url}health`);
    const after = (await read(await fetch(`${app!.url}stats`))).you;
    expect(after).toBe(before + 2);
  });

  it('serves POST /checksum from an actor on an actor thread, validating the body first', async () => {
    const res = await fetch(`${app!.url}checksum`, json({ text: 'zephyr', rounds: 2 }));
    expect(res.status).toBe(200);
    const once = createHash('sha256').update('zephyr').digest('hex');
    const twice = createHash('sha256').update(once).digest('hex');
    expect(await read(res)).toEqual({ digest: twice, rounds: 2 });
    const refused = await fetch(`${app!.url}checksum`, json({ text: 'zephyr', rounds: 0 }));
    expect([refused.status, (await read(refused)).code]).toEqual([400, 'ZEPHYR_ERR_VALIDATION']);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    expect(await stop(app)).toBe(0);
  });
});

describe('the README', () => {
  let app: Running | undefined;
  beforeAll(async () => {
    app = await start({ PLAYGROUND_DATA_DIR: mkdtempSync(join(tmpdir(), 'zephyr-playground-readme-')) });
  }, 90_000);
  afterAll(() => stop(app));

  it('runs each curl command of its example as written, in order, each answering 2xx', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = /```sh\n(curl [\s\S]*?)```/.exec(readme)?.[1];
    const commands = block!.split('\n').filter((line) => line.startsWith('curl '));
    expect(commands.length).toBeGreaterThanOrEqual(8);
    const port = new URL(app!.url).port;
    for (const command of commands) {
      // As written, but against this run's port, failing on any HTTP error, comments dropped.
      const line = command.replace(/\s+#.*$/, '').replaceAll('localhost:3000', `127.0.0.1:${port}`);
      const out = execFileSync('sh', ['-c', `${line.replace(/^curl /, 'curl -sS --fail-with-body ')}`], {
        encoding: 'utf8',
      });
      expect(out.length, line).toBeGreaterThan(0);
    }
  });
});
