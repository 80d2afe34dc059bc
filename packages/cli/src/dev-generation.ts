// One generation of `zephyr dev`: a node:cluster worker forked by the dev server, run with
// `<entry> <config file or ''>` as its arguments. It loads the configuration and the app's
// TypeScript entry afresh, so a change to either is what the new generation serves.
import { serveGeneration } from '@zephyr/devtools';
import { listenOptionsFromConfig } from '@zephyr/server';
import { loadAppEntry } from './app-module.js';
import { loadZephyrConfig } from './config-sections.js';

const [entry = '', configFile = ''] = process.argv.slice(2);

await serveGeneration(async () => {
  const { config, root } = loadZephyrConfig(process.cwd(), process.env, configFile || undefined);
  const { engine, limits, tcpFastOpen, backlog, websocket, shutdownTimeoutMs } = listenOptionsFromConfig(
    config.server,
    config.performance,
  );
  const { app, close } = await loadAppEntry(entry, { config, root });
  return {
    app,
    ...(close ? { close } : {}),
    listen: {
      ...(engine === undefined ? {} : { engine }),
      ...(limits === undefined ? {} : { limits }),
      ...(tcpFastOpen === undefined ? {} : { tcpFastOpen }),
      ...(backlog === undefined ? {} : { backlog }),
    },
    ...(websocket === undefined ? {} : { websocket }),
    ...(shutdownTimeoutMs === undefined ? {} : { shutdownTimeoutMs }),
  };
});
