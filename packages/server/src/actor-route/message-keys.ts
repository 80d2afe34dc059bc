/** A key the runtime refuses in any message (it would reach `Object.prototype` on decoding). */
const FORBIDDEN_KEY = '__proto__';

/**
 * The dotted path of the first `__proto__` key in `value`, or `undefined`. Walked with a stack,
 * not recursion: a JSON body nested a million deep must not overflow the call stack.
 */
export function forbiddenKeyPath(value: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) stack.push([node[i], path === '' ? String(i) : `${path}.${i}`]);
      continue;
    }
    for (const key of Object.keys(node)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (key === FORBIDDEN_KEY) return at;
      stack.push([(node as Record<string, unknown>)[key], at]);
    }
  }
  return undefined;
}
