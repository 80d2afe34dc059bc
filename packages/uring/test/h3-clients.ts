// The three third-party HTTP/3 clients the interop, hostile and loss tests drive, each run as a
// child process and reduced to what a test compares: the response status, the body's SHA-256
// and size, and the lines of its log that matter. They come from scripts/h3-tools.sh (Debian's
// ngtcp2 `gtlsclient`; a venv with aioquic 1.7.2 + its example client, and curl_cffi's libcurl
// with HTTP/3); the Python wrappers are zephyr-h3's own (crates/zephyr-h3/tests), one copy for
// both test suites. A missing client is a failure naming the script, never a skip.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What a client got for one request. */
export interface H3Response {
  status: number;
  bytes: number;
  sha256: string;
}

/** Where a client runs: `netns` runs it inside that network namespace (`ip netns exec`). */
export interface ClientPlace {
  netns?: string;
  timeoutMs?: number;
}

/** A client's kept log lines, the end of its output and its command (for failure messages). */
export interface ClientRun {
  log: string;
  tail: string;
  command: string;
}

const CACHE = process.env.ZEPHYR_CACHE_DIR ?? join(homedir(), '.cache/zephyr');
const WRAPPERS = new URL('../../../crates/zephyr-h3/tests/', import.meta.url).pathname;

/** Where scripts/h3-tools.sh put the venv and aioquic's examples; throws naming the script when absent. */
export function h3Tools(): { python: string; aioquicExamples: string } {
  const python = join(process.env.ZEPHYR_H3_VENV ?? join(CACHE, 'h3-venv'), 'bin/python');
  const aioquicExamples =
    process.env.ZEPHYR_H3_AIOQUIC_EXAMPLES ?? join(CACHE, 'h3-sdist/aioquic-1.7.2/examples');
  for (const need of [python, join(aioquicExamples, 'http3_client.py'), '/usr/bin/gtlsclient']) {
    if (!existsSync(need)) throw new Error(`${need} is missing: run scripts/h3-tools.sh`);
  }
  return { python, aioquicExamples };
}

/** SHA-256 (hex) of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What a client downloaded to `file`. */
function fileResponse(status: number, file: string): H3Response {
  const body = readFileSync(file);
  return { status, bytes: body.length, sha256: sha256(body) };
}

/**
 * Runs `command` under `timeoutMs`, keeping only log lines that match `keep` plus the last 8 KB
 * (a 10 MiB transfer logs megabytes per packet); rejects with that log on a non-zero exit.
 */
export function runClient(
  command: string,
  args: string[],
  keep: RegExp,
  options: { netns?: string; timeoutMs?: number } = {},
): Promise<ClientRun> {
  if (options.netns !== undefined) {
    args = ['netns', 'exec', options.netns, command, ...args];
    command = 'ip';
  }
  const timeoutMs = options.timeoutMs ?? 180_000;
  const shown = `${command} ${args.map((a) => (a.length > 200 ? `${a.slice(0, 40)}…` : a)).join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const kept: string[] = [];
    let tail = '';
    let partial = '';
    const take = (chunk: Buffer) => {
      const text = partial + chunk.toString('latin1');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (keep.test(line)) kept.push(line);
      tail = (tail + chunk.toString('latin1')).slice(-8192);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${shown}: ${err.message} (run scripts/h3-tools.sh)`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (keep.test(partial)) kept.push(partial);
      const log = kept.join('\n');
      if (code === 0) resolve({ log, tail, command: shown });
      else
        reject(
          new Error(`${shown} failed (${signal ?? `exit ${code}`}):\n${log}\n--- last output ---\n${tail}`),
        );
    });
  });
}

/** One request with ngtcp2's `gtlsclient`, the body saved under `dir` by its URL's last segment. */
export async function gtlsclient(
  url: string,
  dir: string,
  options: ClientPlace & { postFile?: string; quicDump?: boolean; extra?: string[] } = {},
): Promise<H3Response & ClientRun> {
  const { hostname, port, pathname } = new URL(url);
  const args = ['--exit-on-all-streams-close', '--no-http-dump', `--download=${dir}`];
  // The per-packet dump is what shows a Retry; it is megabytes for a large body, so only on ask.
  if (!options.quicDump) args.push('--no-quic-dump');
  if (options.postFile) args.push('-m', 'POST', '-d', options.postFile);
  args.push(...(options.extra ?? []), hostname, port, url);
  const run = await runClient(
    'gtlsclient',
    args,
    /:status:|type=Retry|retry_source_connection_id=|ALPN/,
    options,
  );
  const status = Number(/stream 0x0 \[:status: (\d+)\]/.exec(run.log)?.[1] ?? 0);
  const name = pathname.split('/').pop() || 'index.html';
  return { ...fileResponse(status, join(dir, name)), ...run };
}

/**
 * aioquic's example client: every URL on one connection, at once (its `asyncio.gather`); each
 * response is saved under `dir` with its headers (`--include`), which are split off here.
 */
export async function aioquic(
  urls: string[],
  dir: string,
  options: ClientPlace & { caFile: string; postFile?: string },
): Promise<Array<H3Response> & { run: ClientRun }> {
  const { python, aioquicExamples } = h3Tools();
  const args = [join(WRAPPERS, 'aioquic_client.py'), aioquicExamples, '--include'];
  args.push('--ca-certs', options.caFile, '--output-dir', dir);
  if (options.postFile) args.push('--data-file', options.postFile);
  args.push(...urls);
  const run = await runClient(
    python,
    args,
    /ALPN negotiated|Response received|Connection close|Retry/,
    options,
  );
  const responses = urls.map((url) => {
    const raw = readFileSync(join(dir, new URL(url).pathname.split('/').pop() || 'index.html'));
    const end = raw.indexOf('\r\n\r\n');
    const head = raw.subarray(0, Math.max(end, 0)).toString('latin1');
    const status = Number(/^:status: (\d+)/m.exec(head)?.[1] ?? 0);
    const body = raw.subarray(end + 4);
    return { status, bytes: body.length, sha256: sha256(body) };
  });
  return Object.assign(responses, { run });
}

/** One HTTP/3-only request with libcurl (curl_cffi); `http_version 30` is libcurl's HTTP/3. */
export async function curlH3(
  url: string,
  out: string,
  options: ClientPlace & { caFile: string; postFile?: string },
): Promise<H3Response & ClientRun & { httpVersion: number }> {
  const { python } = h3Tools();
  const args = [join(WRAPPERS, 'curl_h3.py'), url, options.caFile, out];
  if (options.postFile) args.push(options.postFile);
  const run = await runClient(python, args, /^status /, options);
  const match = /status (\d+) http_version (\d+) bytes (\d+)/.exec(run.log);
  return { ...fileResponse(Number(match?.[1] ?? 0), out), httpVersion: Number(match?.[2] ?? 0), ...run };
}

/** The RFC 9114 violations `fixtures/h3-raw-frames.py` can send. */
export type RawFramesCase = 'data-before-headers' | 'http2-frame-type' | 'control-without-settings';

/**
 * Sends one hand-made RFC 9114 violation on a fresh stream of an aioquic QUIC connection (ALPN
 * h3) and returns the server's CONNECTION_CLOSE error code, or `undefined` if it kept the
 * connection open for 10 s.
 */
export async function rawFrames(
  origin: string,
  violation: RawFramesCase,
  options: ClientPlace & { caFile: string },
): Promise<number | undefined> {
  const { python } = h3Tools();
  const { hostname, port } = new URL(origin);
  const script = new URL('./fixtures/h3-raw-frames.py', import.meta.url).pathname;
  const run = await runClient(
    python,
    [script, hostname, port, options.caFile, violation],
    /^(closed|open)/,
    options,
  );
  const code = /^closed (0x[0-9a-f]+)/m.exec(run.log)?.[1];
  return code === undefined ? undefined : Number(code);
}
