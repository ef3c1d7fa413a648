import type { BSON } from 'mongodb';
import * as mongodb from 'mongodb';
import path from 'node:path';

/**
 * What the driver the store loads (the application's `mongodb`, a peer dependency) does
 * differently across the majors the store runs on (3.6 to 7, and mongodb-legacy), in one place.
 * Driver 3.x exports no `BSON` and encodes with bson 1.x, which stores a `Uint8Array` that is not
 * a `Buffer` as an object of numbers, refuses `BigInt`, and reads a `__proto__` name into the
 * prototype; bson 4.x refuses `BigInt` too. Each of those is found out by trying it once, here,
 * not from a version number: what is adapted is exactly what this driver's bson does.
 */

/** The serializer the store uses where it encodes itself (EncryptionKeys, the size of a failed write). */
export interface DriverBson {
  serialize(doc: BSON.Document, options?: { ignoreUndefined?: boolean; checkKeys?: boolean }): Uint8Array;
  deserialize(bytes: Uint8Array, options?: BSON.DeserializeOptions): BSON.Document;
  calculateObjectSize(doc: BSON.Document): number;
}

interface Bson1 {
  serialize(doc: object, options?: object): Buffer;
  deserialize(bytes: Buffer, options?: object): BSON.Document;
  calculateObjectSize(doc: object): number;
}

/** What the store reads of a driver's exports. */
export interface DriverExports {
  BSON?: DriverBson;
  Long: { fromString(text: string): unknown };
}

const driver = mongodb as unknown as DriverExports;

/** The version of the driver the store loads, for messages. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const DRIVER_VERSION = (require('mongodb/package.json') as { version: string }).version;

/** Whether `version` is older than `than` (major.minor.patch). */
function olderThan(version: string, than: string): boolean {
  const [a, b] = [version, than].map((v) => v.split(/[.-]/).slice(0, 3).map(Number));
  const at = a!.findIndex((part, i) => part !== b![i]);
  return at !== -1 && a![at]! < b![at]!;
}

/**
 * The `findOneAndUpdate` option that returns the document as written on driver `version`:
 * `returnDocument` came in 3.6.7, where `returnOriginal` (deprecated since, gone in 4.0) was all there was.
 */
export function returnAfter(version: string): { returnDocument: 'after' } {
  return (olderThan(version, '3.6.7') ? { returnOriginal: false } : { returnDocument: 'after' }) as unknown as { returnDocument: 'after' };
}
export const RETURN_AFTER = returnAfter(DRIVER_VERSION);

/** The serializer of the driver whose exports are `exports`, installed in `dir`. */
export function bsonOf(exports: DriverExports, dir: string): DriverBson {
  if (typeof exports.BSON?.serialize === 'function') return exports.BSON;
  // Driver 3.x (and early 4.x) exports none: the bson package the driver depends on.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const own = require(require.resolve('bson', { paths: [dir] })) as DriverBson | (new () => Bson1);
  if (typeof own !== 'function') return own;
  // bson 1.x (driver 3.x): an instance API, whose deserialize reads Buffers only.
  const bson = new own();
  return {
    serialize: (doc, options) => bson.serialize(doc, options),
    deserialize: (bytes, options) => bson.deserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), options),
    calculateObjectSize: (doc) => bson.calculateObjectSize(doc),
  };
}

export const driverBson: DriverBson = bsonOf(driver, path.dirname(require.resolve('mongodb/package.json')));

/** What a bson needs done to a session before it is sent (bigint, bytes), and after it is read (proto). */
export interface Adapts {
  bigint: boolean;
  bytes: boolean;
  proto: boolean;
}

const REFUSED = Symbol('refused');

/** Tries each once: what `bson` stores a BigInt, a Uint8Array and a `__proto__` name as. */
export function adaptsOf(bson: DriverBson): Adapts {
  const roundTrip = (value: unknown): unknown => {
    try {
      return bson.deserialize(bson.serialize({ value })).value;
    } catch {
      return REFUSED;
    }
  };
  const bytes = roundTrip(new Uint8Array(1)) as { _bsontype?: unknown } | typeof REFUSED;
  const proto = roundTrip(JSON.parse('{"__proto__": {}}')) as object | typeof REFUSED;
  return {
    bigint: roundTrip(1n) === REFUSED,
    bytes: typeof bytes !== 'object' || bytes._bsontype !== 'Binary',
    proto: typeof proto !== 'object' || !Object.hasOwn(proto, '__proto__'),
  };
}
export const adapts: Adapts = adaptsOf(driverBson);

/** A 64-bit integer as this driver's `Long`, for a bson that refuses `BigInt` (checked in range already). */
export function driverLong(value: bigint): unknown {
  return driver.Long.fromString(value.toString());
}

/**
 * The document a `findOneAndUpdate` returned. Drivers 3.x and 4.x (and 5.x without
 * `includeResultMetadata: false`) resolve with the command's reply, `{ value, ok, ... }`
 * instead; a session document never has those two fields.
 */
export function modifiedDocument<T extends object>(result: T | { value: T | null; ok: unknown } | null): T | null {
  if (result !== null && 'ok' in result && 'value' in result) return result.value as T | null;
  return result as T | null;
}

/**
 * A server's refusal as driver 3.x throws it: a `MongoError` (or `BulkWriteError`) made from
 * the reply, whose fields it copies as own properties; later drivers name it MongoServerError.
 */
export function isDriver3Reply(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'BulkWriteError' || (err.name === 'MongoError' && (Object.hasOwn(err, 'ok') || Object.hasOwn(err, 'code')));
}
