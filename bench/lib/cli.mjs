// Helpers the bench runners share: flags, medians and number formatting.

/** The value after `--name` on the command line, or `fallback`. */
export function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = process.argv[i + 1];
  if (value === undefined) throw new Error(`--${name} needs a value`);
  return value;
}

/**
 * `--name` as a comma-separated subset of `known` (default: `defaults`, all of `known` unless
 * given), in the order given.
 */
export function choices(name, known, defaults = known) {
  const chosen = flag(name, defaults.join(',')).split(',');
  for (const x of chosen)
    if (!known.includes(x)) throw new Error(`unknown --${name} ${x}; known: ${known.join(', ')}`);
  return chosen;
}

/** `--name` as a positive integer. */
export function positive(name, fallback) {
  const value = Number(flag(name, fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** `--name` as a positive number (fractions allowed). */
export function positiveNumber(name, fallback) {
  const value = Number(flag(name, fallback));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** The median of the runs that finished (NaN marks a run that hung); NaN when none did. */
export const median = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const fmt = (n) => Math.round(n).toLocaleString('en-US');
