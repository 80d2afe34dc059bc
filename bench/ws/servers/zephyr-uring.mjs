// Zephyr on the io_uring engine (the Rust WebSocket session on the ring): see zephyr-app.mjs.
import { serveEcho } from './zephyr-app.mjs';

await serveEcho('io_uring');
