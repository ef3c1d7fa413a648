import type { ObjectId } from 'mongodb';

/**
 * The `UserKey` option: where a session names its user. The store copies that value into
 * the top-level `User` field of the session's document, in the write that stores the
 * session, so that a user's sessions are found by an equality on one indexed field.
 */

/** The user values the store keeps: those that compare by value on every server. */
export type StoredUser = string | number | ObjectId;

/** Reads the user out of a session; undefined when the session has none. `path`: the option's dotted path, if given one. */
export type UserReader = ((session: object) => unknown) & { readonly path?: string };

const KEPT = 'a string, a finite number or an ObjectId';

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'Date';
  if (typeof value === 'number') return 'a number that is not finite';
  return typeof value;
}

/** Any bson version's ObjectId: the driver's own may come from another copy of the bson package (bson 1.x, of driver 3.x, spells it ObjectID). */
function isObjectId(value: unknown): boolean {
  const type = typeof value === 'object' && value !== null ? (value as { _bsontype?: unknown })._bsontype : undefined;
  return type === 'ObjectId' || type === 'ObjectID';
}

export function isStoredUser(value: unknown): value is StoredUser {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || isObjectId(value);
}

function pathReader(path: string): UserReader {
  const names = path.split('.');
  if (names.some((name) => name === '')) {
    throw new RangeError('Option UserKey must be a dotted path of non-empty names, such as "passport.user"');
  }
  const read = (session: object): unknown => {
    let value: unknown = session;
    for (const name of names) {
      if (typeof value !== 'object' || value === null || !Object.hasOwn(value, name)) return undefined;
      value = (value as Record<string, unknown>)[name];
    }
    return value;
  };
  return Object.assign(read, { path });
}

/** Strict, as every option 2.x adds: a path string or a function of the session. */
export function readUserKey(value: unknown): UserReader | null {
  if (value === undefined) return null;
  if (typeof value === 'function') return value as UserReader;
  if (typeof value === 'string') return pathReader(value);
  throw new TypeError(`Option UserKey must be a dotted path (string) or a function of the session, got ${kindOf(value)}`);
}

/**
 * The user `session` names, or undefined for none (null and undefined: logged out). A value
 * of another type fails the write, naming the option and the type, never the value.
 */
export function userOf(reader: UserReader, session: object): StoredUser | undefined {
  let value: unknown;
  try {
    value = reader(session);
  } catch (err) {
    throw new Error('Option UserKey: the function reading the user from the session threw', { cause: err });
  }
  if (value === undefined || value === null) return undefined;
  if (isStoredUser(value)) return value;
  throw new TypeError(`Option UserKey: ${wrongUser(reader.path, value)}; the session was not stored`);
}

/**
 * What is wrong with a user the store does not keep, and the fix: for an object (Passport's
 * `serializeUser` returning the user record), the path of its id field, or a function. Only
 * the type and, for an object, whether it has `id` or `_id` shows: never the value.
 */
function wrongUser(path: string | undefined, value: unknown): string {
  const kind = kindOf(value);
  if (path === undefined) return `the function returned ${article(kind)}, not ${KEPT}: return the user's id instead`;
  const found = `the user at '${path}' is ${article(kind)}, not ${KEPT}`;
  if (kind !== 'object') return `${found}: point UserKey at such a value, or use a function of the session that returns one`;
  const idField = Object.hasOwn(value as object, 'id') || !Object.hasOwn(value as object, '_id') ? 'id' : '_id';
  return `${found}: use UserKey '${path}.${idField}' (the path of its id field), or a function of the session that returns the user's id`;
}

function article(kind: string): string {
  if (kind.startsWith('a ') || kind === 'null') return kind;
  return /^[aeiou]/i.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/** A user ID given to UserSessions or FlagUserSessions. */
export function checkUserId(value: unknown, method: string): StoredUser {
  if (isStoredUser(value)) return value;
  throw new TypeError(`${method}: userId must be ${KEPT}, as the store keeps them (see UserKey), got ${kindOf(value)}`);
}
