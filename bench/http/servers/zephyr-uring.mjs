import { serveWith } from './zephyr-engine.mjs';

await serveWith('io_uring');
