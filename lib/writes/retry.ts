import createDebug from 'debug';
import { NO_DEADLINE, type Deadline } from '../calls/deadline';
import { serverErrorCode } from '../stored/document';
import { isDriver3Reply } from '../driver/versions';

/**
 * Retries store operations that a server refused for a passing reason. Every store
 * operation is idempotent (an upsert, a read, a delete by key), so running one again is safe.
 * Network failures are left to the driver's own single retry and to the caller's timeout.
 */

const debug = createDebug('express-session-mongodb:retry');

const TRANSIENT_CODES = new Set([
  112, // WriteConflict
  189, // PrimarySteppedDown
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
]);
// FerretDB on SQLite reports a busy database file this way, without a code.
const TRANSIENT_MESSAGE = /SQLITE_BUSY|database is locked/;
const ATTEMPTS = 6;
const FIRST_DELAY_MS = 10;

export function isTransient(err: unknown): boolean {
  const code = serverErrorCode(err);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  return err instanceof Error && (err.name === 'MongoServerError' || isDriver3Reply(err)) && TRANSIENT_MESSAGE.test(err.message);
}

/**
 * Tries again unless the caller has been told the call timed out (see deadline.ts). Not an
 * async function: a call that succeeds at once, nearly all of them, pays one `catch` and no
 * more (an async wrapper cost every store call a promise and a tick of its own).
 */
export function retryTransient<T>(run: () => Promise<T>, deadline: Deadline = NO_DEADLINE, attempt = 1): Promise<T> {
  let sent: Promise<T>;
  try {
    sent = run();
  } catch (err) {
    sent = Promise.reject(err);
  }
  return sent.catch((err: unknown) => retryAfter(err, run, deadline, attempt));
}

async function retryAfter<T>(err: unknown, run: () => Promise<T>, deadline: Deadline, attempt: number): Promise<T> {
  if (attempt === ATTEMPTS || !isTransient(err)) throw err;
  const delay = FIRST_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random());
  debug('transient failure (attempt %d), retrying in %d ms', attempt, Math.round(delay));
  await new Promise((resolve) => setTimeout(resolve, delay));
  deadline.check();
  return retryTransient(run, deadline, attempt + 1);
}
