import { isWellFormed, MAX_DOCUMENT_BYTES, MAX_SESSION_DEPTH, refuseDepth } from './bson-limits';

/**
 * The common session in one recursive pass, without the full walk's bookkeeping (its stack
 * of frames, its set of the objects on the path): plain objects and short arrays holding
 * well-formed strings, finite numbers, booleans, null, undefined and valid Dates, well
 * under 16 MB. It answers only "fine" (and, with `rename`, the copy); anything else makes it
 * give up (QUIT), and the full walk in key-filter.ts, which refuses or converts each such
 * value with its own error, decides. So it never accepts what the full walk refuses. Depth is
 * the exception: past MongoDB's limit it refuses at once, with the full walk's error (both
 * go depth first in the same order, so the walk would meet nothing else first), so that a
 * getter or Proxy making a new child on every read is read no more often than the walk reads
 * it; unless the path holds an object twice, a cycle, which the full walk names.
 * A set pays one pass where the walk cost several times as much.
 */

export const QUIT: unique symbol = Symbol('quick walk gave up');

/** A longer array goes to the full walk, which refuses a huge (or sparse) one by its length alone. */
const QUICK_ARRAY = 4096;
/** Well under the limit: a session near it goes to the full walk, which measures exactly. */
const QUICK_BYTES = MAX_DOCUMENT_BYTES / 2;

/** What a name becomes (Filter), or null where it cannot be stored as it is (no Filter). */
export type QuickRename = (name: string) => string | null;

/** Names whose answer a QuickRename keeps: the names of a site's sessions, many times over. */
const NAMES_KEPT = 1000;

/**
 * `rename` with the well-formedness of what it returns checked too (null where not), each
 * answer kept: a session's names are much the same from request to request, and a look-up
 * costs less than the checks. Only names are kept, at most NAMES_KEPT, never values.
 */
export function keptNames(rename: QuickRename): QuickRename {
  const kept = new Map<string, string | null>();
  return (name) => {
    let answer = kept.get(name);
    if (answer === undefined) {
      const target = rename(name);
      answer = target !== null && isWellFormed(target) ? target : null;
      if (kept.size >= NAMES_KEPT) kept.clear();
      kept.set(name, answer);
    }
    return answer;
  };
}

interface Pass {
  rename: QuickRename;
  copy: boolean;
  bytes: number;
  /** The containers entered and not left yet, root first. */
  path: object[];
}

/** Entering a container `depth` levels down (the root is 1): past the limit, a cycle or refused. */
function tooDeep(pass: Pass, depth: number): boolean {
  if (depth <= MAX_SESSION_DEPTH) return false;
  if (new Set(pass.path).size < pass.path.length) return true;
  return refuseDepth(depth);
}

/** The same lower bound the full walk counts, per value; -1 where the full walk must look. */
function leafBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return isWellFormed(value) ? 5 + value.length : -1;
    case 'number':
      return Number.isFinite(value) ? 4 : -1;
    case 'boolean':
      return 1;
    case 'undefined':
      return 0;
    case 'object':
      if (value === null) return 0;
      return value instanceof Date && !Number.isNaN(value.getTime()) && Object.getPrototypeOf(value) === Date.prototype ? 8 : -1;
    default:
      return -1; // bigint (which some drivers adapt), function, symbol
  }
}

/**
 * A plain object or array, which BSON stores as its properties: without a `toBSON` or a
 * `_bsontype` of its own (enumerable or not) or inherited.
 */
function isQuickContainer(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== Array.prototype) return false;
  return !('_bsontype' in value) && typeof (value as { toBSON?: unknown }).toBSON !== 'function';
}

function quickValue(value: unknown, pass: Pass, depth: number): unknown {
  if (typeof value === 'object' && value !== null && isQuickContainer(value)) {
    if (tooDeep(pass, depth + 1)) return QUIT;
    pass.path.push(value);
    const copy = Array.isArray(value) ? quickArray(value, pass, depth + 1) : quickObject(value as Record<string, unknown>, pass, depth + 1);
    pass.path.pop();
    return copy;
  }
  const bytes = leafBytes(value);
  if (bytes < 0) return QUIT;
  pass.bytes += bytes;
  return value;
}

function quickArray(array: unknown[], pass: Pass, depth: number): unknown {
  if (array.length > QUICK_ARRAY) return QUIT;
  pass.bytes += 5;
  const copy: unknown[] | null = pass.copy ? new Array<unknown>(array.length) : null;
  for (let i = 0; i < array.length; i++) {
    pass.bytes += i < 10 ? 3 : i < 100 ? 4 : 5;
    const next = quickValue(array[i], pass, depth);
    if (next === QUIT) return QUIT;
    if (copy) copy[i] = next;
  }
  return copy ?? array;
}

function quickObject(source: Record<string, unknown>, pass: Pass, depth: number): unknown {
  pass.bytes += 5;
  const copy: Record<string, unknown> | null = pass.copy ? {} : null;
  // for-in, not Object.keys: no array per object. The same names in the same order, as no
  // enumerable name is inherited (quickWalk checks Object.prototype once per walk).
  for (const name in source) {
    const target = pass.rename(name);
    // `__proto__` needs defineProperty in a copy: the full walk's business.
    if (target === null || target === '__proto__') return QUIT;
    pass.bytes += 2 + target.length;
    const next = quickValue(source[name], pass, depth);
    if (next === QUIT || pass.bytes > QUICK_BYTES) return QUIT;
    if (copy) copy[target] = next;
  }
  return copy ?? source;
}

/** Whether Object.prototype (polluted) lends plain objects an enumerable name, which for-in would visit. */
function inheritsEnumerable(): boolean {
  for (const name in EMPTY) if (name !== undefined) return true;
  return false;
}
const EMPTY = Object.freeze({});

/**
 * `data` checked (and, with `copy`, copied with every name renamed), or QUIT where the full
 * walk must decide. The root is a container here: anything else goes to the full walk.
 * `rename` must refuse (null) a name that is not well-formed: see keptNames.
 */
export function quickWalk(data: unknown, rename: QuickRename, copy: boolean): unknown {
  if (typeof data !== 'object' || data === null || !isQuickContainer(data) || inheritsEnumerable()) return QUIT;
  return quickValue(data, { rename, copy, bytes: 0, path: [] }, 0);
}
