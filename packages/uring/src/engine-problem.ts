import type { ServerResponse } from 'node:http';

/**
 * Reason phrases of the statuses an engine answers by itself (RFC 9110 §15), as the io_uring
 * engine's Rust core writes them (`http1::reason_phrase`): node:http's table still says
 * "Payload Too Large" for 413.
 */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

/**
 * The body of an answer the engine gives by itself (a limit, a malformed request, a timeout): a
 * small RFC 9457 problem document, byte for byte what the io_uring engine sends
 * (`error_response` in `crates/zephyr-uring/src/conn.rs`).
 */
export function engineProblem(status: number): string {
  const title = TITLES[status] ?? '';
  return `{"type":"about:blank","title":"${title}","status":${status}}`;
}

/** The media type of {@link engineProblem}. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The whole engine answer for `status`, for writing straight to a socket; it closes. */
export function engineProblemResponse(status: number): string {
  const body = engineProblem(status);
  return `HTTP/1.1 ${status} ${TITLES[status] ?? ''}\r\nconnection: close\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
}

/** Sends the engine answer for `status` on a node response that has not started; it closes. */
export function sendEngineProblem(res: ServerResponse, status: number): void {
  const body = engineProblem(status);
  res.shouldKeepAlive = false;
  res.writeHead(status, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': String(body.length),
    connection: 'close',
  });
  res.end(body);
}
