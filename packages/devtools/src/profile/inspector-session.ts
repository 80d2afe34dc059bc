import { Session } from 'node:inspector';
import { InspectorBusyError } from '../devtools-errors.js';

let busy: string | undefined;

/**
 * Runs `work` with an inspector session of this process; one at a time, because a CPU profile
 * and a heap snapshot in parallel would each distort the other.
 */
export async function withInspector<T>(what: string, work: (session: Session) => Promise<T>): Promise<T> {
  if (busy !== undefined)
    throw new InspectorBusyError(`the app is busy taking a ${busy}; try again when it is done`);
  busy = what;
  const session = new Session();
  session.connect();
  try {
    return await work(session);
  } finally {
    session.disconnect();
    busy = undefined;
  }
}

/** `session.post` as a promise. */
export function post<T = unknown>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
}
