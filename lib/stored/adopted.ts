import { createHash } from 'node:crypto';
import { connectMongoCipher, type SessionFieldCipher } from './connect-mongo-crypto';
import { cookieExpiry, storedCookie } from './cookie';

/**
 * The `Adopt` option: a collection connect-mongo 6 or connect-mongodb-session 5 ran on. Both
 * key a session by `_id` (as this store does) and keep it as `{ session, expires }`: `session`
 * a JSON string (connect-mongo's default) or an object, `expires` the cookie's expiry, or the
 * write's time plus their fallback where the cookie has none. Their documents are read as they
 * are; this store's writes add its own fields beside theirs, and, while old processes may read
 * the session (`writeTheirs`), `session` in their encoding too, with `SessionHash`, a hash of
 * that value: a later write of theirs changes `session` and not the hash, so their newer data
 * wins over `Data`.
 */

export type AdoptedStore = 'connect-mongo' | 'connect-mongodb-session';

/** Their `session` field: read into a session object, and written from one. */
export interface SessionCodec {
  /** Undefined: nothing readable (no `session`, or not in this encoding). */
  decode(stored: unknown): Promise<object | undefined> | object | undefined;
  encode(session: object): Promise<unknown> | unknown;
  /** Sealed with connect-mongo's `crypto` or `cryptoAdapter`: a value that does not open reads as missing. */
  readonly sealed: boolean;
}

export interface Adopted {
  from: AdoptedStore;
  /** Where a cookie has no expiry, the session lives this long after each write. */
  fallbackMs: number;
  /** Writes stamp `lastModified` (connect-mongo's touchAfter over 0). */
  lastModified: boolean;
  /** Writes stamp `createdAt` and `updatedAt` (connect-mongo's timestamps). */
  timestamps: boolean;
  /** Their fields are still written: old processes may read the session. */
  writeTheirs: boolean;
  codec: SessionCodec;
}

const DEFAULT_TTL_SECONDS = 14 * 24 * 3600;

type Loose = Record<string, unknown>;

const ACCEPTED: Record<AdoptedStore, readonly string[]> = {
  'connect-mongo': [
    'from',
    'ttl',
    'stringify',
    'touchAfter',
    'timestamps',
    'autoRemove',
    'autoRemoveInterval',
    'writeTheirs',
    'crypto',
    'cryptoAdapter',
  ],
  'connect-mongodb-session': ['from', 'expires', 'writeTheirs'],
};

/** Their options that have a place of their own here, or none. */
const ELSEWHERE: Record<string, string> = {
  collectionName: 'name the collection with the CollectionName option',
  collection: 'name the collection with the CollectionName option',
  mongoUrl: "pass the Db (or MongoClient) as createStore's first argument",
  uri: "pass the Db (or MongoClient) as createStore's first argument",
  client: "pass the Db (or MongoClient) as createStore's first argument",
  clientPromise: "pass the Db (or MongoClient) as createStore's first argument",
  transformId: 'documents must be keyed by the session ID itself',
  idField: 'documents must be keyed by the session ID in _id',
  expiresKey: "the expiry must be in the field 'expires'",
  serialize: "only connect-mongo's own encodings (stringify true or false) are read",
  unserialize: "only connect-mongo's own encodings (stringify true or false) are read",
};

function fail(message: string): never {
  throw new TypeError(`Option Adopt: ${message}`);
}

function positive(options: Loose, name: string, fallback: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(`${name} must be a number over 0, got ${String(value)}`);
  return value;
}

function flag(options: Loose, name: string, fallback: boolean): boolean {
  const value = options[name] ?? fallback;
  if (typeof value !== 'boolean') fail(`${name} must be true or false, got ${typeof value}`);
  return value;
}

function checkKeys(options: Loose, from: AdoptedStore): void {
  for (const key of Object.keys(options)) {
    if (ACCEPTED[from].includes(key)) continue;
    const where = ELSEWHERE[key] ? `: ${ELSEWHERE[key]}` : `; it takes ${ACCEPTED[from].join(', ')}`;
    fail(`unknown key '${key}' for ${from}${where}`);
  }
}

/** connect-mongo's options, checked as connect-mongo reads them. */
function connectMongo(options: Loose): Omit<Adopted, 'codec'> {
  const autoRemove = options.autoRemove ?? 'native';
  if (!['native', 'interval', 'disabled'].includes(autoRemove as string)) {
    fail(`autoRemove must be 'native', 'interval' or 'disabled', got ${String(autoRemove)}`);
  }
  if (options.autoRemoveInterval !== undefined) positive(options, 'autoRemoveInterval', 10);
  const touchAfter = options.touchAfter ?? 0;
  if (typeof touchAfter !== 'number' || !(touchAfter >= 0)) fail(`touchAfter must be a number of seconds >= 0, got ${String(touchAfter)}`);
  return {
    from: 'connect-mongo',
    fallbackMs: positive(options, 'ttl', DEFAULT_TTL_SECONDS) * 1000,
    lastModified: touchAfter > 0,
    timestamps: flag(options, 'timestamps', false),
    writeTheirs: flag(options, 'writeTheirs', true),
  };
}

/** The `Adopt` option: a store's name (its defaults) or an object of its options; null without it. */
export function readAdopt(value: unknown): Adopted | null {
  if (value === undefined) return null;
  const options = (typeof value === 'string' ? { from: value } : value) as Loose;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail(
      `must be 'connect-mongo', 'connect-mongodb-session' or an object with 'from', got ${Array.isArray(value) ? 'array' : typeof value}`,
    );
  }
  const from = options.from;
  if (from !== 'connect-mongo' && from !== 'connect-mongodb-session') {
    fail(`'from' must be 'connect-mongo' or 'connect-mongodb-session', got ${JSON.stringify(from) ?? 'undefined'}`);
  }
  checkKeys(options, from);
  const adopted: Omit<Adopted, 'codec'> =
    from === 'connect-mongo'
      ? connectMongo(options)
      : {
          from: 'connect-mongodb-session',
          fallbackMs: positive(options, 'expires', DEFAULT_TTL_SECONDS * 1000),
          lastModified: false,
          timestamps: false,
          writeTheirs: flag(options, 'writeTheirs', true),
        };
  return { ...adopted, codec: sessionCodec(options) };
}

/** The session as connect-mongo and connect-mongodb-session serialize it: the cookie in its JSON form. */
function serialized(session: object): Loose {
  const copy: Loose = { ...session };
  if ('cookie' in copy) copy.cookie = storedCookie(copy.cookie);
  return copy;
}

function isSession(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TypeError("A stored session's connect-mongo field 'session' is a string but not JSON", { cause: err });
  }
}

/**
 * Their `session` field sealed with connect-mongo's `crypto` or `cryptoAdapter`: connect-mongo
 * seals the JSON text of the session in both stringify modes. What does not open (another
 * secret, altered, not sealed) is undefined: never served.
 */
function sealedCodec(cipher: SessionFieldCipher): SessionCodec {
  return {
    async decode(stored) {
      if (typeof stored !== 'string') return undefined;
      const text = await cipher.open(stored);
      const session = text === undefined ? undefined : parsed(text);
      return isSession(session) ? session : undefined;
    },
    encode: (session) => cipher.seal(JSON.stringify(serialized(session))),
    sealed: true,
  };
}

/** THE place for their `session` field's encoding: a JSON string, an object, or sealed (connect-mongo-crypto). */
export function sessionCodec(options: Loose): SessionCodec {
  // Refused before this for connect-mongodb-session, which has no such options (checkKeys).
  const cipher = connectMongoCipher(options);
  if (cipher) return sealedCodec(cipher);
  if (options.from === 'connect-mongo' && options.stringify !== false) {
    flag(options, 'stringify', true);
    return {
      decode(stored) {
        if (typeof stored !== 'string') return isSession(stored) ? stored : undefined;
        const session = parsed(stored);
        return isSession(session) ? session : undefined;
      },
      encode: (session) => JSON.stringify(serialized(session)),
      sealed: false,
    };
  }
  return {
    // A JSON string too: a collection whose old processes switched stringify meanwhile.
    decode(stored) {
      const session = typeof stored === 'string' ? parsed(stored) : stored;
      return isSession(session) ? session : undefined;
    },
    encode: (session) => serialized(session),
    sealed: false,
  };
}

/**
 * A hash of their `session` field's value as stored. Objects hash by their JSON, nulls
 * dropped: the driver may store an undefined value as null.
 */
export function sessionHash(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value, (_key, item: unknown) => (item === null ? undefined : item));
  return createHash('sha256')
    .update(text ?? '')
    .digest('base64url')
    .slice(0, 22);
}

/** Their `expires`: the cookie's expiry, else `now` plus their fallback, as they compute it. */
export function theirExpiry(adopted: Adopted, cookie: unknown, now: number): Date {
  return cookieExpiry(cookie) ?? new Date(now + adopted.fallbackMs);
}

/** The stored session, when it is theirs: no `Data`, or a `session` written after this store's last write. */
export async function theirSession(
  adopted: Adopted,
  doc: { Data?: unknown; session?: unknown; SessionHash?: unknown },
): Promise<object | undefined> {
  if (doc.session === undefined || doc.session === null) return undefined;
  if (doc.Data !== undefined && doc.SessionHash === sessionHash(doc.session)) return undefined;
  return (await adopted.codec.decode(doc.session)) ?? undefined;
}

/** Their fields, as a set or touch of `session` writes them beside this store's; none once `writeTheirs` is off. */
export async function theirFields(adopted: Adopted, session: object, now: Date): Promise<TheirFields> {
  if (!adopted.writeTheirs) return { set: {}, unset: { session: '', SessionHash: '', lastModified: '', updatedAt: '' }, created: {} };
  const encoded: unknown = await adopted.codec.encode(session);
  const set: TheirFields['set'] = { session: encoded, SessionHash: sessionHash(encoded) };
  if (adopted.lastModified) set.lastModified = now;
  if (adopted.timestamps) set.updatedAt = now;
  return { set, unset: {}, created: adopted.timestamps ? { createdAt: now } : {} };
}

/** What a write stores of their fields: `created` only where the document is new. */
export interface TheirFields {
  set: { session?: unknown; SessionHash?: string; lastModified?: Date; updatedAt?: Date };
  unset: Partial<Record<'session' | 'SessionHash' | 'lastModified' | 'updatedAt', ''>>;
  created: { createdAt?: Date };
}

export const NO_FIELDS: TheirFields = { set: {}, unset: {}, created: {} };
