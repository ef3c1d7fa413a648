import { isWellFormed } from '../stored/bson-limits';

// Generous for any genid, small enough to keep hostile IDs out of the index.
export const MAX_SESSION_ID_LENGTH = 1024;

/** Only non-empty strings may reach a query: an object such as `{ $ne: null }` would match other sessions. */
export function checkSessionId(sid: unknown): string {
  if (typeof sid !== 'string') {
    throw new TypeError(`Session ID must be a string, got ${sid === null ? 'null' : Array.isArray(sid) ? 'array' : typeof sid}`);
  }
  if (sid.length === 0 || sid.length > MAX_SESSION_ID_LENGTH) {
    throw new RangeError(`Session ID must be 1 to ${MAX_SESSION_ID_LENGTH} characters long, got ${sid.length}`);
  }
  // A lone surrogate has no UTF-8 form: BSON writes U+FFFD, so two such IDs would name one document.
  if (!isWellFormed(sid)) {
    throw new TypeError('Session ID must be well-formed UTF-16 (it holds a lone surrogate)');
  }
  return sid;
}
