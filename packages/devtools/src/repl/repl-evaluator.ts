import { inspect } from 'node:util';
import * as vm from 'node:vm';

/**
 * How long the synchronous part of one REPL input may run (default 10 s) before V8 interrupts
 * it: a `while (true) {}` typed into the REPL runs on the app's own thread and would otherwise
 * stall every request the app serves.
 */
export const DEFAULT_REPL_TIMEOUT_MS = 10_000;

/** Longest output of one evaluation sent to the REPL (16 KiB); the rest is cut with a note. */
export const MAX_REPL_OUTPUT = 16 * 1024;

/** What one evaluation gives the REPL. */
export type EvalResult =
  /** The input is incomplete (an open bracket or string): the REPL asks for the next line. */
  { readonly recoverable: true } | { readonly output: string; readonly error: boolean };

const INCOMPLETE = /Unexpected end of input|Unterminated (template|string)|missing \) after argument list$/;
const AWAIT_OUTSIDE = /await is only valid|Unexpected reserved word|Unexpected identifier/;
// `const x = await f()` at top level must outlive its wrapper function: it becomes a global.
const DECLARATION = /^(\s*)(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=/gm;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function truncate(text: string): string {
  if (text.length <= MAX_REPL_OUTPUT) return text;
  return `${text.slice(0, MAX_REPL_OUTPUT)}\n… (${text.length - MAX_REPL_OUTPUT} more characters not shown)`;
}

/**
 * Evaluates REPL input inside the running app, in a context holding the app's objects. Top-level
 * `await` works: input that uses it runs in an async wrapper whose declarations become globals.
 */
export class ReplEvaluator {
  readonly #context: vm.Context;
  readonly #names: string[];
  readonly #timeoutMs: number;

  /** `timeoutMs` bounds the synchronous run of each input (see {@link DEFAULT_REPL_TIMEOUT_MS}). */
  constructor(scope: Readonly<Record<string, unknown>>, options: { timeoutMs?: number } = {}) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_REPL_TIMEOUT_MS;
    this.#names = Object.keys(scope);
    this.#context = vm.createContext({ ...scope, console });
  }

  /** The names in scope besides the language's globals. */
  get names(): readonly string[] {
    return this.#names;
  }

  async evaluate(code: string, options: { colors?: boolean } = {}): Promise<EvalResult> {
    let script: vm.Script;
    let wrapped = false;
    try {
      script = new vm.Script(code, { filename: 'repl' });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (INCOMPLETE.test(message)) return { recoverable: true };
      if (!/\bawait\b/.test(code) || !AWAIT_OUTSIDE.test(message)) return this.#failure(err, options);
      const awaited = this.#compileAwaited(code);
      if (awaited instanceof Error) return this.#failure(awaited, options);
      script = awaited;
      wrapped = true;
    }
    try {
      // The timeout covers the synchronous run only: the part of an `await`ing input after its
      // first await runs as the app's own async code does. (A microtask mode of `afterEvaluate`
      // would cover it, but then promises settled by the app, a database query's, would wait
      // for the next input to run their callbacks.)
      let value: unknown = script.runInContext(this.#context, {
        displayErrors: false,
        timeout: this.#timeoutMs,
      });
      if (wrapped) value = await value;
      this.#context._ = value;
      return { output: this.#format(value, options), error: false };
    } catch (err) {
      return this.#failure(err, options);
    }
  }

  /** Completions of the identifier or property path that ends `line`: `[hits, completedPart]`. */
  complete(line: string): [string[], string] {
    const match = /((?:[A-Za-z_$][\w$]*\.)*)([\w$]*)$/.exec(line);
    const path = match?.[1] ?? '';
    const prefix = match?.[2] ?? '';
    const names = new Set<string>();
    if (path === '') {
      for (const name of Object.getOwnPropertyNames(this.#context)) names.add(name);
      const globals = vm.runInContext('Object.getOwnPropertyNames(globalThis)', this.#context) as string[];
      for (const name of globals) names.add(name);
    } else {
      let target: unknown = this.#context;
      for (const part of path.slice(0, -1).split('.')) {
        if (target === null || target === undefined) break;
        try {
          target = (target as Record<string, unknown>)[part];
        } catch {
          target = undefined;
        }
      }
      let depth = 0;
      for (let o: unknown = target; o !== null && o !== undefined && depth < 8; depth++) {
        for (const name of Object.getOwnPropertyNames(o)) names.add(name);
        o = Object.getPrototypeOf(o);
      }
    }
    const hits = [...names]
      .filter((n) => n.startsWith(prefix) && IDENTIFIER.test(n) && n !== 'constructor')
      .sort()
      .map((n) => path + n);
    return [hits, path + prefix];
  }

  #compileAwaited(code: string): vm.Script | Error {
    try {
      return new vm.Script(`(async () => (${code}\n))()`, { filename: 'repl' });
    } catch {
      // Not one expression: statements, whose declarations become globals of the context.
    }
    try {
      return new vm.Script(`(async () => {${code.replace(DECLARATION, '$1$2 =')}\n})()`, {
        filename: 'repl',
      });
    } catch (err) {
      return err as Error;
    }
  }

  #format(value: unknown, options: { colors?: boolean }): string {
    return truncate(
      inspect(value, {
        colors: options.colors === true,
        depth: 4,
        maxArrayLength: 100,
        maxStringLength: 2000,
        breakLength: 100,
      }),
    );
  }

  #failure(err: unknown, options: { colors?: boolean }): EvalResult {
    const text =
      err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : this.#format(err, options);
    return { output: truncate(`Uncaught ${text}`), error: true };
  }
}
