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

/** Tries again unless the caller has been told the call timed out (see deadline.ts). */
export async function retryTransient<T>(run: () => Promise<T>, deadline: Deadline = NO_DEADLINE): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) deadline.check();
    try {
      return await run();
    } catch (err) {
      if (attempt === ATTEMPTS || !isTransient(err)) throw err;
      const delay = FIRST_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random());
      debug('transient failure (attempt %d), retrying in %d ms', attempt, Math.round(delay));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
