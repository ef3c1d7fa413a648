import type { BSON } from 'mongodb';
import { driverBson, type DriverBson } from '../driver/versions';

/**
 * BSON for the common session, in one recursive pass: what `EncryptionKeys` seals. The driver's
 * bson (7.x) walks with a frame object per level, a Set of the objects on the path and a
 * regular expression per name; it is the largest part of a sealed set's cost. This writes plain
 * objects (prototype Object or null) and arrays of strings, finite numbers, booleans, null,
 * undefined (stored as null, as the store's serialization asks) and valid Dates, byte for byte
 * what the driver's bson writes for them. Anything else (any other type, -0, a name holding
 * NUL, a toBSON method, deep nesting, a cycle, a session past the scratch buffer) answers
 * undefined, and the driver's bson serializes it, with its own errors.
 * Used only where it agrees with the driver's bson on a probe of every type it writes
 * (`agreesWith`): bson 1.x (driver 3.x) to 7.x do; a big-endian machine keeps the driver's bson.
 */

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;
const TWO_32 = 2 ** 32;
/** Past this, the driver's bson (whose buffer holds 16 MB) serializes; sealed sessions are small. */
const SCRATCH_BYTES = 64 * 1024;
/** UTF-8 takes at most 3 bytes per UTF-16 unit. */
export const MAX_UTF8_PER_UNIT = 3;
/** What the store's own serialization asks of the driver's bson: undefined stored as null. */
const SERIALIZE_OPTIONS = { ignoreUndefined: false, checkKeys: false } as const;
const MAX_DEPTH = 100;
/** Where an element must end: what is left after it ends every open document (one byte each). */
const END = SCRATCH_BYTES - MAX_DEPTH - 2;

/** Thrown through the recursion when the pass gives up: caught in encode only. */
const GIVE_UP: unique symbol = Symbol('quick BSON gave up');

const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
let at = 0;
const float = new Float64Array(1);
const floatBytes = new Uint8Array(float.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const INDEX_NAMES = Array.from({ length: 64 }, (_, i) => String(i));

function int32(value: number, offset: number): void {
  scratch[offset] = value;
  scratch[offset + 1] = value >>> 8;
  scratch[offset + 2] = value >>> 16;
  scratch[offset + 3] = value >>> 24;
}

/**
 * `text` as UTF-8, one byte per character while they are ASCII (most are); room checked by the
 * caller. False where it holds a NUL, which a name (a C string) cannot.
 */
function utf8(text: string): boolean {
  const length = text.length;
  let i = 0;
  for (; i < length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80 || unit === 0) break;
    scratch[at + i] = unit;
  }
  if (i === length) {
    at += length;
    return true;
  }
  at += scratch.write(text, at, 'utf8');
  return !text.includes('\0');
}

/** A type byte and a name, with room for `payload` bytes after it (and the ends of the open documents). */
function element(type: number, name: string, payload: number): void {
  if (at + name.length * MAX_UTF8_PER_UNIT + 2 + payload > END) throw GIVE_UP;
  scratch[at++] = type;
  // A name holding NUL goes to the driver's bson, which refuses it.
  if (!utf8(name)) throw GIVE_UP;
  scratch[at++] = 0;
}

function string(name: string, text: string): void {
  element(0x02, name, text.length * MAX_UTF8_PER_UNIT + 5);
  const start = at;
  at += 4;
  utf8(text);
  scratch[at++] = 0;
  int32(at - start - 4, start);
}

function number(name: string, value: number): void {
  // The driver's bson: int32 for a safe integer in range (not -0), else a double.
  if (Number.isSafeInteger(value) && value <= INT32_MAX && value >= INT32_MIN && !Object.is(value, -0)) {
    element(0x10, name, 4);
    int32(value, at);
    at += 4;
    return;
  }
  // -0 is written as int32 0 by some bson versions: theirs to decide, as NaN and Infinity are.
  if (!Number.isFinite(value) || Object.is(value, -0)) throw GIVE_UP;
  element(0x01, name, 8);
  float[0] = value;
  scratch.set(floatBytes, at);
  at += 8;
}

function date(name: string, value: Date): void {
  const time = value.getTime();
  if (Number.isNaN(time)) throw GIVE_UP;
  element(0x09, name, 8);
  int32((time % TWO_32) >>> 0, at);
  int32(Math.floor(time / TWO_32), at + 4);
  at += 8;
}

function value(name: string, item: unknown, depth: number): void {
  switch (typeof item) {
    case 'string':
      return string(name, item);
    case 'number':
      return number(name, item);
    case 'boolean':
      element(0x08, name, 1);
      scratch[at++] = item ? 1 : 0;
      return;
    case 'undefined':
      return element(0x0a, name, 0);
    case 'object':
      return container(name, item, depth);
    default:
      throw GIVE_UP; // bigint, symbol, function: the driver's bson decides
  }
}

function container(name: string, item: object | null, depth: number): void {
  if (item === null) return element(0x0a, name, 0);
  if (Array.isArray(item)) {
    element(0x04, name, 5);
    return array(item, depth + 1);
  }
  if (item instanceof Date) return date(name, item);
  const proto: unknown = Object.getPrototypeOf(item);
  if (proto !== Object.prototype && proto !== null) throw GIVE_UP;
  element(0x03, name, 5);
  document(item as Record<string, unknown>, depth + 1);
}

function document(doc: Record<string, unknown>, depth: number): void {
  // A cycle ends here too: the driver's bson then names it. An object naming a BSON type, or
  // with a toBSON method, is the driver's bson's to read.
  if (depth > MAX_DEPTH || typeof doc.toBSON === 'function' || doc._bsontype != null) throw GIVE_UP;
  const start = at;
  at += 4;
  const names = Object.keys(doc);
  for (let i = 0; i < names.length; i++) value(names[i]!, doc[names[i]!], depth);
  scratch[at++] = 0;
  int32(at - start, start);
}

function array(items: unknown[], depth: number): void {
  if (depth > MAX_DEPTH) throw GIVE_UP;
  const start = at;
  at += 4;
  for (let i = 0; i < items.length; i++) value(INDEX_NAMES[i] ?? String(i), items[i], depth);
  scratch[at++] = 0;
  int32(at - start, start);
}

/** The driver's bson calls a toBSON it finds on any value, through its prototype too. */
const PROTOTYPES: object[] = [Object.prototype, Array.prototype, Date.prototype, String.prototype, Number.prototype, Boolean.prototype];
const EMPTY = Object.freeze({});

/** A prototype changed so that the driver's bson would write something else than Object.keys says. */
function polluted(): boolean {
  for (const proto of PROTOTYPES) if ('toBSON' in proto) return true;
  // bson 1.x writes the names a plain object inherits (for-in): none may be there.
  for (const name in EMPTY) if (name !== undefined) return true;
  return false;
}

/** Set while a session is written: one sealed from inside it (by a getter) must not reuse the buffer. */
let writing = false;

/** `doc` as BSON, or undefined where the driver's bson is to serialize it (see above). */
function encode(doc: BSON.Document): Uint8Array | undefined {
  if (writing || polluted()) return undefined;
  writing = true;
  at = 0;
  try {
    document(doc, 0);
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  } finally {
    writing = false;
  }
  return Buffer.from(scratch.subarray(0, at));
}

/** One of each thing quickSerialize writes. */
function probe(): BSON.Document {
  const nested = Object.assign(Object.create(null) as object, { n: [] });
  return {
    int: 1,
    min: INT32_MIN,
    above: INT32_MAX + 1,
    double: 2.5,
    big: 2 ** 60,
    negative: -7,
    text: 'aé€😀',
    empty: '',
    'é name': true,
    no: false,
    nothing: null,
    missing: undefined,
    when: new Date(-1),
    later: new Date(8.64e15),
    list: [undefined, null, 'x', 3, [{}]],
    nested,
  };
}

/** Whether `bson` writes what quickSerialize writes: tried once, on one of each type. */
export function agreesWith(bson: DriverBson): boolean {
  if (!LITTLE_ENDIAN) return false;
  try {
    const sample = probe();
    const ours = encode(sample);
    return ours !== undefined && Buffer.from(bson.serialize(sample, SERIALIZE_OPTIONS)).equals(ours);
  } catch {
    return false;
  }
}

const AGREES = agreesWith(driverBson);

/** `doc` as the driver's bson would write it, or undefined: then the driver's bson must. */
export function quickSerialize(doc: BSON.Document): Uint8Array | undefined {
  return AGREES ? encode(doc) : undefined;
}

/** `doc` as the driver's bson writes it (undefined as null): in one pass where it can be, else by the driver's bson. */
export function serialize(doc: BSON.Document): Uint8Array {
  return quickSerialize(doc) ?? driverBson.serialize(doc, SERIALIZE_OPTIONS);
}
