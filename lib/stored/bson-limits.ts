import type { BSON, Db } from 'mongodb';
import { driverBson } from '../driver/versions';

/**
 * What a session value may be, decided per value before anything is sent, the same on every
 * server: a value some server cannot store (FerretDB v1 drops the connection on NaN,
 * Decimal128, MinKey, MaxKey, Code and Symbol, which fails every caller sharing the pool) or
 * that BSON would change without a word is refused with an error for that call alone.
 * docs/stored-values.md, "What is stored, converted and refused", is the table of these rules.
 */

export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** MongoDB's nesting limit for a document; the session sits one level down, under `Data`. */
export const MAX_SESSION_DEPTH = 99;
/** An array element takes at least a type byte, a one-digit name and its NUL. */
const MIN_ELEMENT_BYTES = 3;
/** A name's type byte and NUL; its characters count one byte each at least. */
const NAME_OVERHEAD_BYTES = 2;

/** Node 20 has `String.prototype.isWellFormed`; the ES2022 typings do not. */
export function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

// BSON types every server stores and the driver returns as they were sent.
const STORABLE_BSON_TYPES = new Set(['ObjectId', 'ObjectID', 'Binary', 'Long', 'Int32', 'Double', 'Timestamp', 'BSONRegExp']);

/** What the server in use stores beyond what every server does. */
export interface ServerLimits {
  /** FerretDB v1 drops the connection on a Decimal128, failing every call sharing the pool. */
  decimal128: boolean;
  /** FerretDB v1 skips a `$set` whose value differs from the stored one only in names: see renamed-set. */
  skipsRenames?: boolean;
}
export const ALL_STORABLE: ServerLimits = { decimal128: true };

/** Asks the server what it is: FerretDB reports `ferretdbVersion` in buildInfo. */
export async function detectServerLimits(db: Db): Promise<ServerLimits> {
  const info = await db.admin().command({ buildInfo: 1 });
  const ferretdb = typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : null;
  // A build without version information says "unknown": taken for v1, the safe side.
  const fixed = ferretdb === null || /^v?([2-9]|\d{2,})\./.test(ferretdb);
  return { decimal128: fixed, skipsRenames: !fixed };
}

/** The least number of bytes BSON needs for a primitive: a lower bound, never more. */
function checkPrimitive(value: unknown): number {
  switch (typeof value) {
    case 'string':
      // A lone surrogate has no UTF-8 form: BSON would write U+FFFD instead.
      if (!isWellFormed(value)) throw new TypeError('Session data holds a string with a lone surrogate (not well-formed UTF-16)');
      return 5 + value.length;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new RangeError('Session data holds NaN or an infinite number, which not every server can store; store null or a string');
      }
      return 4;
    case 'bigint':
      // BSON would silently wrap a BigInt outside 64 bits (2n ** 70n is stored as 0).
      if (value > INT64_MAX || value < INT64_MIN)
        throw new RangeError('Session data holds a BigInt outside the 64-bit range BSON can store');
      return 8;
    case 'boolean':
      return 1;
    default:
      return 0; // null and undefined (stored as null); functions and symbols are left out
  }
}

function checkBsonType(value: { _bsontype?: unknown; value?: unknown }, limits: ServerLimits): number {
  const type = String(value._bsontype);
  if (type === 'Decimal128' && limits.decimal128) return 16;
  if (!STORABLE_BSON_TYPES.has(type)) throw new TypeError(`Session data holds a BSON ${type}, which not every server can store`);
  if (type === 'Double') checkPrimitive(value.value);
  return 2; // a BSONRegExp of two empty strings is the smallest
}

/** Types that BSON would store as an empty or partial document, losing their content. */
function refusedObject(value: object): string | null {
  if (value instanceof Map) return 'Map';
  if (value instanceof Set) return 'Set';
  if (value instanceof WeakMap || value instanceof WeakSet) return 'WeakMap or WeakSet';
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return 'ArrayBuffer';
  if (ArrayBuffer.isView(value) && !(value instanceof Uint8Array)) return value.constructor.name || 'typed array';
  if (value instanceof Number || value instanceof String || value instanceof Boolean) return 'boxed primitive';
  return null;
}

/**
 * Throws for a value no server may be sent; else the least number of bytes BSON needs for
 * it (a container: only its own header and terminator).
 */
export function checkValue(value: unknown, limits: ServerLimits = ALL_STORABLE): number {
  if (typeof value !== 'object' || value === null) return checkPrimitive(value);
  if (isPlainContainer(value)) return 5;
  if (value instanceof Date) {
    // An invalid Date would be stored as 1970-01-01.
    if (Number.isNaN(value.getTime())) throw new RangeError('Session data holds an invalid Date');
    return 8;
  }
  if (value instanceof Uint8Array) return 5 + value.byteLength;
  if (value instanceof RegExp) {
    // BSON keeps the flags g, i and m; it would drop s, u, y and d without a word.
    if (/[^gim]/.test(value.flags))
      throw new TypeError('Session data holds a RegExp with flags BSON cannot store (it keeps g, i and m only)');
    return 2 + value.source.length;
  }
  if ('_bsontype' in value) return checkBsonType(value, limits);
  const refused = refusedObject(value);
  if (refused !== null) {
    throw new TypeError(`Session data holds a ${refused}, which BSON cannot store faithfully; convert it to an array or an object`);
  }
  return 5;
}

/** The common case, answered first: a plain object or array (BSON reads `_bsontype` even on those). */
function isPlainContainer(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === Array.prototype || proto === null) && !('_bsontype' in value);
}

/** Objects and arrays are walked; every other object is stored as one BSON value. */
export function isContainer(value: object): boolean {
  if (isPlainContainer(value)) return true;
  return !(value instanceof Date || value instanceof RegExp || value instanceof Uint8Array || '_bsontype' in value);
}

/** Names are session data too: BSON would write a lone surrogate in one as U+FFFD. */
export function checkName(name: string): number {
  if (!isWellFormed(name)) throw new TypeError('A session property name holds a lone surrogate (not well-formed UTF-16)');
  return NAME_OVERHEAD_BYTES + name.length;
}

export function refuseSize(bytes: number): never {
  throw new RangeError(`Session is at least ${bytes} bytes, over the 16 MB BSON document limit`);
}

/** Refuses at once an array whose length alone (sparse or not) could not fit in a document. */
export function checkArrayLength(array: unknown[], bytesSoFar: number): void {
  const least = bytesSoFar + array.length * MIN_ELEMENT_BYTES;
  if (least > MAX_DOCUMENT_BYTES) refuseSize(least);
}

export function refuseDepth(depth: number): never {
  throw new RangeError(`Session data nests at least ${depth} levels deep; MongoDB stores at most ${MAX_SESSION_DEPTH} under Data`);
}

/**
 * A write that failed for a size the walk's lower bound did not catch: measured only then,
 * so successful writes pay nothing (the driver's own error is an opaque buffer RangeError).
 */
export function explainWriteFailure(err: unknown, data: unknown): unknown {
  let size: number;
  try {
    size = driverBson.calculateObjectSize(data as BSON.Document);
  } catch {
    return err;
  }
  if (size > MAX_DOCUMENT_BYTES - 1024) {
    return new RangeError(`Session is ${size} bytes, over the 16 MB BSON document limit`, { cause: err });
  }
  return err;
}

/**
 * Collection options for reading sessions. The driver's default `fieldsAsRaw` is `{}`, which
 * bson consults without an own-property check: an array under a name `Object.prototype` has
 * (`constructor`, `valueOf`, `toString`...) came back as raw BSON buffers. An empty map
 * without a prototype names nothing.
 */
export const READ_OPTIONS = Object.freeze({ fieldsAsRaw: Object.freeze(Object.create(null) as Record<string, boolean>) });
