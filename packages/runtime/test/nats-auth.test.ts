import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, Events, nkeys } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';
import { type ActorSystem, createActorSystem, NatsUnreachableError } from '../src/index.js';
import { allLive, joinNode, until } from './cluster-helpers.js';
import { type CounterMsg, type CounterReplies, counter } from './fixtures/thread-actors.js';
import { freePort, NatsServer } from './nats-servers.js';

const CLUSTER = 'secure';
const dir = mkdtempSync(join(tmpdir(), 'zephyr-nats-tls-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
const nodeUser = nkeys.createUser();
const nodeSeed = new TextDecoder().decode(nodeUser.getSeed());
/** The permissions the README documents for a node's NATS user. */
const NODE_PERMISSIONS = `permissions: {
  publish: ["zph.${CLUSTER}.>", "$SRV.>", "_INBOX.>"],
  subscribe: ["zph.${CLUSTER}.>", "$SRV.>", "_INBOX.>"]
}`;

let server: NatsServer;
let sup: ActorSystem;
let host: ActorSystem;
const tls = { caFile: cert };

beforeAll(async () => {
  selfSignedCertificate({ cert, key });
  server = await NatsServer.start({
    config: `
tls { cert_file: "${cert}", key_file: "${key}" }
authorization {
  users: [
    { user: node, password: s3cret, ${NODE_PERMISSIONS} }
    { nkey: ${nodeUser.getPublicKey()}, ${NODE_PERMISSIONS} }
    { user: app, password: app, permissions: { publish: ["_INBOX.>"], subscribe: ["_INBOX.>"] } }
  ]
}`,
  });
  const url = `tls://127.0.0.1:${server.port}`;
  sup = await joinNode('sup', url, { name: CLUSTER, nats: { user: 'node', pass: 's3cret', tls } }, false);
  host = await joinNode('host', url, { name: CLUSTER, nats: { nkeySeed: nodeSeed, tls } }, true);
  await allLive(sup, ['sup', 'host']);
}, 60_000);

afterAll(async () => {
  await sup?.shutdown();
  await host?.shutdown();
  await server?.kill();
});

function distributed(natsUrl: string, nats: NonNullable<Parameters<typeof createActorSystem>[0]>['cluster']) {
  return createActorSystem({
    nodeId: 'intruder',
    config: { supervisor_mode: 'distributed', nats_url: natsUrl },
    ...(nats !== undefined ? { cluster: nats } : {}),
  });
}

describe('NATS credentials, NKeys, TLS and subject permissions', () => {
  it('runs a cluster over TLS with a password user and an NKey user', async () => {
    const tree = sup.supervise({ children: [{ id: 'c', actor: counter, placement: 'cluster' }] });
    const c = tree.actor<CounterMsg, CounterReplies>('c')!;
    expect(await until('counter', () => c.ask({ type: 'add', by: 4 }))).toBe(4);
  });

  it('refuses a node without credentials, with bad ones, or without the CA, naming the URL', async () => {
    const url = `tls://127.0.0.1:${server.port}`;
    for (const cluster of [
      { nats: { tls } },
      { nats: { user: 'node', pass: 'wrong', tls } },
      { nats: { user: 'node', pass: 's3cret' } },
    ]) {
      const err = await distributed(url, cluster).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NatsUnreachableError);
      expect((err as Error).message).toContain(url);
    }
  });

  it('refuses publishes from a client without the node permissions: forged spawns and exit reports never arrive', async () => {
    const tree = sup.supervise({ children: [{ id: 'victim', actor: counter, placement: 'cluster' }] });
    const victim = tree.actor<CounterMsg, CounterReplies>('victim')!;
    await until('victim', () => victim.ask({ type: 'add', by: 1 }));
    const app = await connect({ servers: `tls://127.0.0.1:${server.port}`, user: 'app', pass: 'app', tls });
    const violations: string[] = [];
    void (async () => {
      for await (const status of app.status()) {
        if (status.type === Events.Error) violations.push(String(status.data));
      }
    })();
    const { encode } = await import('@msgpack/msgpack');
    app.publish(`zph.${CLUSTER}.exit.sup`, encode([victim.address, { type: 'error', error: null }]));
    app.publish(`zph.${CLUSTER}.ctl.host`, encode(['stop', victim.address, { type: 'shutdown' }, 'sup']));
    await until('permission violations reported', () => (violations.length >= 2 ? true : undefined));
    expect(violations.join('\n')).toMatch(/PERMISSIONS_VIOLATION/);
    await app.close();
    expect(await victim.ask({ type: 'get' })).toBe(1);
    expect(tree.children()[0]!.restarts).toBe(0);
  });

  it('fails startup with one clear typed error when nothing listens at nats_url', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const err = await distributed(url, undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatsUnreachableError);
    expect(err).toMatchObject({ code: 'ZEPHYR_ERR_NATS_UNREACHABLE', url });
    expect((err as Error).message).toContain('runtime.nats_url');
    expect((err as Error).message).toContain('supervisor_mode: local');
    expect((err as { status?: number }).status).toBeUndefined();
  });
});
