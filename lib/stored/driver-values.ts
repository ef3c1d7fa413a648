import { isContainer } from './bson-limits';
import { adapts, driverLong, type Adapts } from '../driver/versions';

/**
 * Session values made to mean the same on every driver (see driver.ts): before a write, on a
 * bson that needs it, a `BigInt` becomes the driver's `Long` (what bson 5 and later store for it)
 * and a `Uint8Array` a `Buffer` over the same bytes (stored as binary, as later bson stores it);
 * after a read from bson 1.x, a `__proto__` name it put into a prototype is an own property again.
 * On drivers 5 to 7 both return their argument untouched, at no cost.
 */

function converted(value: unknown, needs: Adapts): unknown {
  if (typeof value === 'bigint') return needs.bigint ? driverLong(value) : value;
  if (value instanceof Uint8Array)
    return needs.bytes && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
  if (typeof value !== 'object' || value === null || !isContainer(value)) return value;
  // Copied only along the path to a converted value: the caller's session is never changed.
  let copy: Record<string, unknown> | undefined;
  const source = value as Record<string, unknown>;
  for (const name of Object.keys(source)) {
    const next = converted(source[name], needs);
    if (next === source[name]) continue;
    copy ??= (Array.isArray(source) ? [...source] : { ...source }) as Record<string, unknown>;
    Object.defineProperty(copy, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? value;
}

/** `value` as this driver (or one that `needs` it) must be handed it: checked already, no cycle, at most 100 levels. */
export function sendable<T>(value: T, needs: Adapts = adapts): T {
  return needs.bigint || needs.bytes ? (converted(value, needs) as T) : value;
}

/** A container bson 1.x made: a plain object or an array, whatever its prototype became. */
function madeContainer(value: object): boolean {
  return Array.isArray(value) || (Object.prototype.toString.call(value) === '[object Object]' && !Object.hasOwn(value, '_bsontype'));
}

/**
 * Puts back in place, in data just read, every `__proto__` name bson 1.x read into a prototype
 * (a `__proto__` whose value was not an object is lost by bson 1.x itself). In place: the data
 * is the store's own copy.
 */
export function repairRead(data: unknown, needs: Adapts = adapts): void {
  if (!needs.proto || typeof data !== 'object' || data === null) return;
  const stack: object[] = [data];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!madeContainer(node)) continue;
    const standard = Array.isArray(node) ? Array.prototype : Object.prototype;
    const proto: unknown = Object.getPrototypeOf(node);
    if (proto !== standard) {
      Object.setPrototypeOf(node, standard);
      Object.defineProperty(node, '__proto__', { value: proto, enumerable: true, writable: true, configurable: true });
    }
    for (const value of Object.values(node)) if (typeof value === 'object' && value !== null) stack.push(value);
  }
}
