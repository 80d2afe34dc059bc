// Zephyr on the node engine (the `ws` package underneath): see zephyr-app.mjs.
import { serveEcho } from './zephyr-app.mjs';

await serveEcho('node');
