// What run.mjs and paired.mjs both need to drive a server and read what it cost: readiness
// probes, a process's CPU, a collector's byte count, fixed-rate load with h2load, the median.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The path every tracing bench requests (a routed GET with a param, as in the router bench). */
export const path = '/users/42';

/** Whether `url` answers 2xx (false on any error): a readiness probe. */
export const answers = (url, init) =>
  fetch(url, init).then(
    async (r) => {
      await r.arrayBuffer();
      return r.ok;
    },
    () => false,
  );

/** User + system CPU seconds a process has used so far (Linux /proc; ticks are 1/100 s). */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * OTLP bytes the collector on `port` has received so far. A connection of its own each time: a
 * pooled one may have been closed by the collector's keep-alive timeout during a load run.
 */
export const collectorBytes = (port) =>
  new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/count', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve(JSON.parse(body).bytes));
    }).on('error', reject);
  });

/**
 * h2load (HTTP/1.1, pinned to core 1) at `rate` req/s over `connections` connections for
 * `seconds`; resolves to the requests done, and rejects unless every one succeeded with a 2xx.
 */
export async function fixedRate(port, { rate, connections, seconds }) {
  const { stdout } = await exec('taskset', [
    '-c',
    '1',
    'h2load',
    '--h1',
    '-t1',
    `-c${connections}`,
    `--rps=${rate / connections}`,
    `-D${seconds}`,
    `http://127.0.0.1:${port}${path}`,
  ]);
  const [, done, succeeded] =
    /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded/.exec(stdout) ?? [];
  const twoxx = Number(/status codes: (\d+) 2xx/.exec(stdout)?.[1]);
  if (!(Number(done) > 0) || Number(succeeded) !== Number(done) || twoxx !== Number(done)) {
    throw new Error(`h2load saw failures:\n${stdout}`);
  }
  return Number(done);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
