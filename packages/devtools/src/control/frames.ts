// The control socket's wire format: one JSON object per line, both ways. A request names an
// operation; the app answers with any number of progress and chunk frames, then one result or
// error frame, all carrying the request's id.

/** Longest request line the app reads, in characters (1 Mi): a REPL input is small; anything longer is refused. */
export const MAX_REQUEST_LINE = 1024 * 1024;

/** A request from the CLI. */
export interface ControlRequest {
  readonly id: number;
  readonly op: string;
  readonly args?: Readonly<Record<string, unknown>>;
}

/** A frame from the app. */
export type ControlReply =
  | { readonly id: number; readonly type: 'progress'; readonly message: string }
  | { readonly id: number; readonly type: 'chunk'; readonly data: string }
  | { readonly id: number; readonly type: 'result'; readonly value: unknown }
  | {
      readonly id: number | null;
      readonly type: 'error';
      readonly error: { readonly code: string; readonly message: string };
    };

/**
 * Splits a byte stream into lines, calling `onLine` for each and `onOverflow` once when a line
 * grows past `maxLine` (the rest of the stream is then ignored).
 */
export class LineSplitter {
  #pending = '';
  #overflowed = false;
  constructor(
    private readonly maxLine: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(data: string): void {
    if (this.#overflowed) return;
    let text = this.#pending + data;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      if (line.length > this.maxLine) {
        this.#overflow();
        return;
      }
      if (line.trim() !== '') this.onLine(line);
      newline = text.indexOf('\n');
    }
    if (text.length > this.maxLine) {
      this.#overflow();
      return;
    }
    this.#pending = text;
  }

  #overflow(): void {
    this.#overflowed = true;
    this.#pending = '';
    this.onOverflow();
  }
}
