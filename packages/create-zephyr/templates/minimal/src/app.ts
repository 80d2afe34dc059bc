import { type App, createApp } from '@zephyr/server';

/** Every route of the app, in one place: the tests and `zephyr start` serve the same thing. */
export function buildApp(): App {
  const app = createApp();
  app.get('/', (ctx) => ctx.json({ name: '{{name}}', message: 'Hello from Zephyr' }));
  return app;
}

// `zephyr start` serves this with the port, workers and engine of zephyr.config.yaml.
export default buildApp;
