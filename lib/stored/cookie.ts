/**
 * The session cookie as the store keeps it: express-session's own JSON form (what its
 * MemoryStore stores), with `expires` a BSON date. express-session hands over a Cookie whose
 * expiry sits in a private `_expires`; 1.x and 2.0 stored that as it was.
 */

type CookieFields = Record<string, unknown>;

function isObject(value: unknown): value is CookieFields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toDate(value: unknown): Date | undefined {
  const date = typeof value === 'string' ? new Date(value) : value;
  return date instanceof Date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** The cookie's expiry, in any form the store meets it (JSON string, Date, private `_expires`). */
export function cookieExpiry(cookie: unknown): Date | undefined {
  if (!isObject(cookie)) return undefined;
  return toDate('expires' in cookie ? cookie.expires : cookie._expires);
}

/** The form to store: `toJSON()` where the cookie has one, `expires` as a Date, no undefined fields. */
export function storedCookie(cookie: unknown): unknown {
  if (!isObject(cookie)) return cookie;
  const json = typeof cookie.toJSON === 'function' ? (cookie.toJSON as () => unknown)() : cookie;
  if (!isObject(json)) return json;
  const stored: CookieFields = {};
  // Names, not entries: no array per field on every set.
  for (const name of Object.keys(json)) {
    const value = json[name];
    if (value !== undefined && name !== '_expires') stored[name] = value;
  }
  if ('expires' in stored || '_expires' in json) stored.expires = toDate(stored.expires ?? json._expires) ?? null;
  return stored;
}

/** A cookie just read, in place: `_expires` as 1.x and 2.0 stored it becomes `expires`. */
export function readCookie(session: CookieFields): void {
  const cookie = session.cookie;
  if (!isObject(cookie) || !('_expires' in cookie)) return;
  if (!('expires' in cookie)) cookie.expires = cookie._expires;
  delete cookie._expires;
}
