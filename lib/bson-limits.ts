import { BSON } from 'mongodb';
import type { Shape } from './key-filter';

/**
 * Turns a failed write of an oversized or overdeep session into an error that says so;
 * the driver's own is an opaque buffer RangeError, FerretDB's an SQL one. Measured only
 * after a failure, so successful writes pay nothing.
 */

export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** MongoDB's nesting limit for a document; the session sits one level down, under `Data`. */
export const MAX_SESSION_DEPTH = 99;

export function explainWriteFailure(err: unknown, data: unknown, shape: Shape): unknown {
  if (shape.depth > MAX_SESSION_DEPTH) {
    return new RangeError(`Session data nests ${shape.depth} levels deep; MongoDB stores at most ${MAX_SESSION_DEPTH} under Data`, { cause: err });
  }
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
