export { RadixRouter } from './radix-router.js';
