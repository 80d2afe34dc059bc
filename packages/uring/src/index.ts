export { ioUringSupported, type IoUringSupport } from './probe.js';
