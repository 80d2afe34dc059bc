// The Piscina task of the heavy route.
import { ROUNDS, work } from './work.mjs';

export default ({ text }) => ({ digest: work(text, ROUNDS) });
