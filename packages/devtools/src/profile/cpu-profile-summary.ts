import { InvalidArgumentError } from '../devtools-errors.js';

/** The `.cpuprofile` format (Chrome DevTools' `Profiler.Profile`). */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** One function's row: the time the CPU was in it, not in what it called. */
export interface FunctionTime {
  readonly functionName: string;
  /** `url:line:column` (1-based), or `''` for V8's own entries such as `(garbage collector)`. */
  readonly location: string;
  readonly selfMs: number;
  /** Share of the profile's duration, 0–100. */
  readonly selfPercent: number;
}

/** Functions by self time, most first (a function's nodes in every call path summed). */
export function topFunctionsBySelfTime(profile: CpuProfile, limit = 20): FunctionTime[] {
  if (!Array.isArray(profile?.nodes) || !Array.isArray(profile.samples) || !Array.isArray(profile.timeDeltas))
    throw new InvalidArgumentError('not a CPU profile: nodes, samples and timeDeltas are required');
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; the time of sample i is the next one's delta.
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < timeDeltas.length ? timeDeltas[i + 1]! : 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(next, 0));
  }
  const rows = new Map<string, { functionName: string; location: string; us: number }>();
  for (const [id, us] of selfUs) {
    const frame = byNode.get(id)?.callFrame;
    if (frame === undefined) continue;
    const functionName = frame.functionName || '(anonymous)';
    const location = frame.url ? `${frame.url}:${frame.lineNumber + 1}:${frame.columnNumber + 1}` : '';
    const key = `${functionName}\0${location}`;
    const row = rows.get(key) ?? { functionName, location, us: 0 };
    row.us += us;
    rows.set(key, row);
  }
  const totalUs = Math.max(profile.endTime - profile.startTime, 1);
  return [...rows.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((r) => ({
      functionName: r.functionName,
      location: r.location,
      selfMs: Math.round(r.us / 100) / 10,
      selfPercent: Math.round((r.us / totalUs) * 1000) / 10,
    }));
}
