// What every engine's sendFile does before it sends a byte: open the file (or take the caller's
// fd), check the range's fields, and fit the range to the file's size.
import { fstat, open } from 'node:fs';
import { ZephyrEngineError } from './errors.js';

/** Opens `path` for reading; the caller closes the fd. */
export function openFile(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
}

/** The size of the file behind `fd`. */
export function sizeOf(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size))));
}

/** Throws unless `value` (a range's offset or length) is absent or a non-negative safe integer. */
export function checkRangeField(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new ZephyrEngineError(
      'ZEPHYR_ERR_INVALID_ARGUMENT',
      `sendFile: ${name} must be a non-negative integer`,
    );
  }
}

/**
 * The node engine's range of the file behind `fd` (HTTP/1 and HTTP/2 alike): the offset must lie
 * within the file and the range must end inside it; an absent length runs to the end.
 */
export async function fileRange(
  fd: number,
  range: { offset?: number; length?: number },
): Promise<{ offset: number; length: number }> {
  const size = await sizeOf(fd);
  const offset = range.offset ?? 0;
  if (offset > size) {
    throw new ZephyrEngineError(
      'ZEPHYR_ERR_INVALID_ARGUMENT',
      `sendFile: offset ${offset} is past the end (${size})`,
    );
  }
  const length = range.length ?? size - offset;
  if (offset + length > size) {
    throw new ZephyrEngineError(
      'ZEPHYR_ERR_INVALID_ARGUMENT',
      `sendFile: offset ${offset} + length ${length} is past the end of the file (${size} bytes)`,
    );
  }
  return { offset, length };
}
