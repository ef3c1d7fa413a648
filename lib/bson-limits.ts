import { BSON } from 'mongodb';
import type { Shape } from './key-filter';

/**
 * Clear errors for sessions no server can store: too deep (known from the walk every write
 * makes, so refused before sending) or too large (measured only after a failed write, so
 * successful writes pay nothing; the driver's own error is an opaque buffer RangeError).
 */

/** Node 20 has `String.prototype.isWellFormed`; the ES2022 typings do not. */
export function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** MongoDB's nesting limit for a document; the session sits one level down, under `Data`. */
export const MAX_SESSION_DEPTH = 99;

export function checkDepth(shape: Shape): void {
  if (shape.depth > MAX_SESSION_DEPTH) {
    throw new RangeError(`Session data nests ${shape.depth} levels deep; MongoDB stores at most ${MAX_SESSION_DEPTH} under Data`);
  }
}

export function explainWriteFailure(err: unknown, data: unknown): unknown {
  let size: number;
  try {
    size = BSON.calculateObjectSize(data as BSON.Document);
  } catch {
    return err;
  }
  if (size > MAX_DOCUMENT_BYTES - 1024) {
    return new RangeError(`Session is ${size} bytes, over the 16 MB BSON document limit`, { cause: err });
  }
  return err;
}
