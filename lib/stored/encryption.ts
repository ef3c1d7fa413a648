import createDebug from 'debug';
import { createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, randomFillSync, type KeyObject } from 'node:crypto';
import type { BSON } from 'mongodb';
import { READ_OPTIONS } from './bson-limits';
import { boundedMap } from '../util/bounded-map';
import { driverBson } from '../driver/versions';
import { MAX_UTF8_PER_UNIT, serialize } from './quick-bson';

/**
 * The `EncryptionKeys` option: `Data` sealed with AES-256-GCM, bound to the session ID.
 * The first key encrypts, every key decrypts, so keys rotate without logging anyone out.
 * Plaintext `Data` is read only where the option holds a `null`: first, to write plaintext
 * again while the keys still read what they sealed; after the first key, to read plaintext
 * sessions while they are sealed one by one. Without a `null`, whoever can write to the
 * collection must not be able to make a session the application trusts, so plaintext reads
 * as missing.
 *
 * Stored form of `Data`: a BSON binary of
 *   version (1 byte) | key id (4) | IV (12) | tag (16) | ciphertext
 * whose plaintext is the BSON of `{ Data, FilterVersion }`, exactly what the plaintext path
 * stores, so a decrypted session is read back by the same code and round-trips the same way.
 * Authenticated data: the version, the key id, the field and the session ID, so a ciphertext
 * copied under another ID or into the other field, altered, or sealed by another key does not open.
 *
 * A `touch` renews only the cookie: beside a sealed `Data`, it seals the cookie alone into the
 * top-level `Cookie` (which overrides `Data`'s until the next `set` removes it), so a touch never
 * puts back session data that another request changed meanwhile, as the plaintext path's
 * `$set` of `Data.cookie` never does.
 */

const debug = createDebug('express-session-mongodb');

const FORMAT_VERSION = 1;
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES;
/** Secrets are used as key material, not stretched: they must carry 256 bits already. */
export const MIN_SECRET_LENGTH = 32;
const KEY_INFO = 'express-session-mongodb EncryptionKeys v1';
const ID_PREFIX = 'express-session-mongodb key id v1';
const ALGORITHM = 'aes-256-gcm';

/** What the plaintext path would store in the document. */
export interface PlainFields {
  Data: unknown;
  FilterVersion?: number;
}

/** The fields a sealed value may sit in; each is part of the authenticated data. */
type Field = 'Data' | 'Cookie';

export interface Keyring {
  /** True when writes are sealed; false when the first element was `null` (keys kept for reading). */
  readonly encrypts: boolean;
  /** True when the option holds a `null`: plaintext `Data` is read as it is, else as missing. */
  readonly readsPlaintext: boolean;
  /**
   * `plain` sealed with the first key, for the field `field` of the session `sid`. A plain
   * Uint8Array, not a Buffer: bson encodes a Buffer three times slower.
   */
  seal(sid: string, field: Field, plain: BSON.Document): Uint8Array;
  /** Whether a `Data` sealed in `bytes` (undefined: plaintext) is in the form this keyring writes. */
  writes(bytes: Uint8Array | undefined): boolean;
  /** What is sealed in `bytes`, or null (with one debug line) when it does not open. */
  open(sid: string, field: Field, bytes: Uint8Array): BSON.Document | null;
}

interface Key {
  /** The first bytes of a hash of the key, read as a number: stored beside each ciphertext. */
  id: number;
  key: KeyObject;
}

function deriveKey(secret: string | Uint8Array): Key {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_INFO, 32));
  const id = createHash('sha256').update(ID_PREFIX).update(key).digest().readUInt32BE(0);
  return { id, key: createSecretKey(key) };
}

/**
 * Where additional data is written: OpenSSL takes it in during setAAD, so one buffer serves
 * every seal and open (a session ID too long for it gets its own).
 */
const aadScratch = Buffer.allocUnsafe(4096);

/** The header's version and key id, then the field, a NUL and the session ID. */
function additionalData(header: Buffer, field: Field, sid: string): Buffer {
  const most = 1 + KEY_ID_BYTES + field.length + 1 + MAX_UTF8_PER_UNIT * sid.length;
  const aad = most <= aadScratch.length ? aadScratch : Buffer.allocUnsafe(most);
  header.copy(aad, 0, 0, 1 + KEY_ID_BYTES);
  let at = 1 + KEY_ID_BYTES + aad.write(field, 1 + KEY_ID_BYTES, 'latin1');
  aad[at++] = 0;
  at += aad.write(sid, at, 'utf8');
  return aad.subarray(0, at);
}

/** IVs are drawn from the CSPRNG in batches: one call per write costs as much as the cipher. */
const ivPool = Buffer.alloc(IV_BYTES * 256);
let ivNext = ivPool.length;

function writeIv(target: Buffer, offset: number): void {
  if (ivNext === ivPool.length) {
    randomFillSync(ivPool);
    ivNext = 0;
  }
  ivPool.copy(target, offset, ivNext, ivNext + IV_BYTES);
  // Each IV is used once: wiped as it is taken.
  ivPool.fill(0, ivNext, ivNext + IV_BYTES);
  ivNext += IV_BYTES;
}

/** A secret's description for an error message: its type and length, never its content. */
function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

function checkSecret(value: unknown, index: number): string | Uint8Array {
  const long =
    (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) ||
    (value instanceof Uint8Array && value.byteLength >= MIN_SECRET_LENGTH);
  if (long) return value as string | Uint8Array;
  const wrongType = typeof value !== 'string' && !(value instanceof Uint8Array);
  const Err = wrongType ? TypeError : RangeError;
  throw new Err(
    `Option EncryptionKeys[${index}] must be a string of at least ${MIN_SECRET_LENGTH} characters or a Buffer of at least ${MIN_SECRET_LENGTH} bytes, got ${describe(value)}`,
  );
}

/**
 * Where the option's `null` stands (-1: none). One says it all: first, plaintext is written
 * (and read); anywhere after the first key, plaintext is read while the keys seal every write.
 */
function nullAt(value: unknown[]): number {
  const at = value.indexOf(null);
  const again = value.indexOf(null, at + 1);
  if (at >= 0 && again > 0) {
    throw new RangeError(
      `Option EncryptionKeys[${again}] is a second null: one null says plaintext is read (first: written too); remove the other`,
    );
  }
  return at;
}

/** Validates the option and derives each key once; undefined when encryption is not configured. */
export function readEncryptionKeys(value: unknown): Keyring | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw new TypeError(`Option EncryptionKeys must be an array of secrets (the first encrypts), got ${describe(value)}`);
  }
  // Holes read as undefined, and are refused as such: flatMap would skip them.
  const items: unknown[] = Array.from(value as unknown[]);
  const at = nullAt(items);
  const secrets = items.flatMap((secret, index) => (secret === null ? [] : [{ secret, index }]));
  if (secrets.length === 0) {
    throw new RangeError(
      'Option EncryptionKeys must hold at least one secret besides null (to store sessions in plaintext, leave the option out)',
    );
  }
  const byId = new Map<number, Key>();
  const keys = secrets.map(({ secret, index }) => {
    const key = deriveKey(checkSecret(secret, index));
    if (byId.has(key.id)) {
      throw new RangeError(`Option EncryptionKeys[${index}] repeats an earlier secret (or shares its key id); remove it`);
    }
    byId.set(key.id, key);
    return key;
  });
  return keyring({ encrypts: at !== 0, readsPlaintext: at >= 0 }, keys[0]!, byId);
}

const IV_AT = 1 + KEY_ID_BYTES;
const TAG_AT = IV_AT + IV_BYTES;

/**
 * The last `Data` each session was sealed into or opened from, with its plaintext: a read of
 * those very bytes (the next request's get, most of a read-mostly site's traffic) needs no
 * decryption. Byte for byte the same ciphertext under the same session ID was authenticated
 * already. Bounded in entries and in size, so that memory does not grow with traffic.
 */
const OPENED_ENTRIES = 1_000;
const OPENED_MAX_BYTES = 16 * 1024;

interface Opened {
  sealed: Buffer;
  plain: Uint8Array;
}

function keyring(mode: { encrypts: boolean; readsPlaintext: boolean }, first: Key, byId: Map<number, Key>): Keyring {
  const { encrypts } = mode;
  const opened = boundedMap<Opened>(OPENED_ENTRIES);
  const remember = (sid: string, field: Field, sealed: Buffer, plain: Uint8Array): void => {
    if (field === 'Data' && plain.byteLength <= OPENED_MAX_BYTES) opened.set(sid, { sealed, plain });
  };

  function seal(sid: string, field: Field, plain: BSON.Document): Uint8Array {
    // The common session in one pass; anything else by the driver's bson (see quick-bson).
    const serialized = serialize(plain);
    // The stored form in one buffer, filled in place: GCM's ciphertext is as long as its plaintext.
    const sealed = Buffer.allocUnsafe(HEADER_BYTES + serialized.byteLength);
    sealed[0] = FORMAT_VERSION;
    sealed.writeUInt32BE(first.id, 1);
    writeIv(sealed, IV_AT);
    const cipher = createCipheriv(ALGORITHM, first.key, sealed.subarray(IV_AT, TAG_AT));
    cipher.setAAD(additionalData(sealed, field, sid));
    const body = cipher.update(serialized);
    // Never short with GCM; checked all the same, as the unwritten bytes of an unsafe buffer would be stored.
    if (body.copy(sealed, HEADER_BYTES) !== serialized.byteLength) throw new Error('AES-256-GCM returned a short ciphertext');
    cipher.final(); // GCM has no block left over: final only computes the tag
    cipher.getAuthTag().copy(sealed, TAG_AT);
    remember(sid, field, sealed, serialized);
    return new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  }

  function open(sid: string, field: Field, bytes: Uint8Array): BSON.Document | null {
    const sealed = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const known = field === 'Data' ? opened.get(sid) : undefined;
    if (known?.sealed.equals(sealed)) return driverBson.deserialize(known.plain, READ_OPTIONS);
    if (sealed.length < HEADER_BYTES || sealed[0] !== FORMAT_VERSION) {
      return refuse('its format is not one this version reads');
    }
    const id = sealed.readUInt32BE(1);
    const key = byId.get(id);
    if (!key) return refuse(`key id ${sealed.toString('hex', 1, IV_AT)} is not among EncryptionKeys`);
    try {
      const decipher = createDecipheriv(ALGORITHM, key.key, sealed.subarray(IV_AT, TAG_AT));
      decipher.setAAD(additionalData(sealed, field, sid));
      decipher.setAuthTag(sealed.subarray(TAG_AT, HEADER_BYTES));
      const plain = decipher.update(sealed.subarray(HEADER_BYTES));
      decipher.final(); // throws unless the tag authenticates
      // A copy: the reply's buffer, which `bytes` points into, can then go.
      remember(sid, field, Buffer.from(sealed), plain);
      return driverBson.deserialize(plain, READ_OPTIONS);
    } catch {
      return refuse('it fails authentication: altered, copied from another session ID or field, or sealed by another key with the same id');
    }
  }

  function writes(bytes: Uint8Array | undefined): boolean {
    if (!encrypts || bytes === undefined) return !encrypts && bytes === undefined;
    return bytes.byteLength >= HEADER_BYTES && Buffer.from(bytes.buffer, bytes.byteOffset, IV_AT).readUInt32BE(1) === first.id;
  }

  return { ...mode, seal, open, writes };
}

function refuse(why: string): null {
  debug('an encrypted session reads as missing: %s', why);
  return null;
}

/** Duck-typed, as the application's driver may carry its own copy of bson. */
export function sealedBytes(data: unknown): Uint8Array | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const binary = data as { _bsontype?: unknown; buffer?: unknown; position?: unknown };
  if (binary._bsontype !== 'Binary' || !(binary.buffer instanceof Uint8Array)) return undefined;
  const length = typeof binary.position === 'number' ? binary.position : binary.buffer.byteLength;
  return binary.buffer.subarray(0, length);
}

/**
 * The plaintext fields of a document just read: as they are when `Data` is not sealed (where
 * plaintext is read at all), opened when it is (with the cookie a touch sealed beside it),
 * null when they do not open (or no keys are configured to open them). Nothing else in the
 * document is read into the session: a `Cookie` that is not sealed means nothing, and the
 * `FilterVersion` that counts is the one sealed with `Data`.
 */
export function readableFields(keyring: Keyring | undefined, sid: string, doc: PlainFields & { Cookie?: unknown }): PlainFields | null {
  const bytes = sealedBytes(doc.Data);
  if (bytes === undefined) {
    // Anyone who can write to the collection can write plaintext: only a null in the option trusts it.
    return keyring && !keyring.readsPlaintext ? refuse('it is stored in plaintext, which EncryptionKeys without a null do not read') : doc;
  }
  if (!keyring) return refuse('no EncryptionKeys are configured to decrypt it');
  const fields = keyring.open(sid, 'Data', bytes) as PlainFields | null;
  const cookieBytes = sealedBytes(doc.Cookie);
  if (fields === null || cookieBytes === undefined) return fields;
  const cookie = keyring.open(sid, 'Cookie', cookieBytes);
  if (cookie === null) return null;
  if (typeof fields.Data === 'object' && fields.Data !== null) (fields.Data as Record<string, unknown>).cookie = cookie.cookie;
  return fields;
}

/**
 * What a write stores for `fields` (the plaintext path's `Data` and `FilterVersion`): the same,
 * or with `EncryptionKeys` a sealed `Data` and no `FilterVersion`, which means nothing for it.
 * Either way a sealed `Cookie` beside the old `Data` goes, where keys are configured.
 */
export function writtenFields(
  keyring: Keyring | undefined,
  sid: string,
  fields: PlainFields,
): { set: PlainFields; unset: { FilterVersion?: ''; Cookie?: '' }; sealed: boolean } {
  if (!keyring) return { set: fields, unset: {}, sealed: false };
  if (!keyring.encrypts) return { set: fields, unset: { Cookie: '' }, sealed: false };
  return { set: { Data: keyring.seal(sid, 'Data', fields) }, unset: { FilterVersion: '', Cookie: '' }, sealed: true };
}

/** The renewed cookie (as the plaintext path would store it under `Data`), sealed for `Cookie`. */
export function sealedCookie(keyring: Keyring, sid: string, cookie: unknown): Uint8Array {
  return keyring.seal(sid, 'Cookie', { cookie });
}
