import { serveWith } from './zephyr-engine.mjs';

await serveWith('node');
