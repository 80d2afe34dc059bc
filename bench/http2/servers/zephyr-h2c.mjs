// Zephyr over h2c (HTTP/2 by prior knowledge, and HTTP/1.1 on the same port), listening on PORT.
import { serveH2 } from './zephyr-h2-app.mjs';

await serveH2(false);
