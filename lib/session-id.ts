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
  return sid;
}
