import {
  ALL_STORABLE,
  checkArrayLength,
  checkName,
  checkValue,
  isContainer,
  MAX_DOCUMENT_BYTES,
  MAX_SESSION_DEPTH,
  refuseDepth,
  refuseSize,
  type ServerLimits,
} from './bson-limits';
import { keptNames, QUIT, quickWalk } from './quick-walk';

/**
 * The `Filter` option: property names with `.`, `$` or `\0` cannot be stored, so they
 * are escaped with the markers 1.x used. 1.x replaced only the first occurrence of each
 * character, and read back the first occurrence of each marker. 2.x writes every name 1.x
 * reads back identically in 1.x's own form, so 1.x processes of a fleet read it as they
 * wrote it; a name 1.x could never round-trip gets every occurrence escaped, behind a
 * leading `-` that 1.x's escaping never produces, so the two forms cannot be confused.
 * Documents say in `FilterVersion` how their names were written.
 */

/** Escape order: `-` first, since every other marker ends with one. */
const MARKERS: ReadonlyArray<readonly [string, string]> = [
  ['-', '*-'],
  ['.', 'dot-'],
  ['$', 'dol-'],
  ['\0', 'nul-'],
];
const UNMARKERS = [...MARKERS].reverse();
const NEEDS_ESCAPE = /[-.$\0]/;
/** Starts names in 2.x's own form: 1.x's escaping turns a leading `-` into `*-`. */
const OWN_FORM = '-';
// What BSON or some servers refuse in a name; FerretDB even drops such an update silently.
const UNSTORABLE = /^\$|[.\0]/;

/** Values of the document field `FilterVersion`: how the names in `Data` were written. */
export const NOT_ESCAPED = 0;
/** 2.0.0: every occurrence escaped. */
export const ALL_ESCAPED = 2;
/** Per name: 1.x's form where 1.x reads it back, else `-` and every occurrence escaped. */
export const FILTER_VERSION = 3;

/** How the names of one stored document are read back. */
export type NameForm = 'as-given' | 'legacy' | 'all' | 'mixed';

function escapeLegacyName(name: string): string {
  for (const [plain, marker] of MARKERS) name = name.replace(plain, marker);
  return name;
}

function escapeAll(name: string): string {
  for (const [plain, marker] of MARKERS) name = name.replaceAll(plain, marker);
  return name;
}

/** 2.0.0's reading: every occurrence of every marker. */
export function unescapeAllName(name: string): string {
  // Every marker ends with `-`; most names have none (includes, not a regular expression: every name of every read).
  if (!name.includes('-')) return name;
  for (const [plain, marker] of UNMARKERS) name = name.replaceAll(marker, plain);
  return name;
}

/** 1.x's reading: the first occurrence of each marker only. */
export function unescapeLegacyName(name: string): string {
  if (!name.includes('-')) return name;
  for (const [plain, marker] of UNMARKERS) name = name.replace(marker, plain);
  return name;
}

/**
 * `rename` remembering its answers for names it changes or must look at twice: a session's
 * names are much the same from request to request, and working one out takes eight string
 * replacements. Bounded; a name is only a name (no values are kept).
 */
function remembered(rename: (name: string) => string): (name: string) => string {
  const answers = new Map<string, string>();
  return (name) => {
    let answer = answers.get(name);
    if (answer === undefined) {
      if (answers.size >= NAMES_REMEMBERED) answers.clear();
      answer = rename(name);
      answers.set(name, answer);
    }
    return answer;
  };
}
const NAMES_REMEMBERED = 1000;

const escapeMarked = remembered((name) => {
  const legacy = escapeLegacyName(name);
  if (!UNSTORABLE.test(legacy) && unescapeLegacyName(legacy) === name) return legacy;
  return OWN_FORM + escapeAll(name);
});

export function escapeName(name: string): string {
  return NEEDS_ESCAPE.test(name) ? escapeMarked(name) : name;
}

const unescapeMarked = remembered((name) =>
  name.startsWith(OWN_FORM) ? unescapeAllName(name.slice(OWN_FORM.length)) : unescapeLegacyName(name),
);

export function unescapeName(name: string): string {
  return name.includes('-') ? unescapeMarked(name) : name;
}

const RENAME: Record<Exclude<NameForm, 'as-given'>, (name: string) => string> = {
  legacy: unescapeLegacyName,
  all: unescapeAllName,
  mixed: unescapeName,
};

/**
 * How a stored document's names were written. 2.x says so in `FilterVersion`. Without it,
 * a document 2.x created (string `_id`) was written by 2.0.0 without `Filter`; one 1.x
 * created never said, and is read as a 1.x process with the same `Filter` would read it.
 */
export function nameFormOf(doc: { _id?: unknown; FilterVersion?: unknown }, filter: boolean): NameForm {
  switch (doc.FilterVersion) {
    case FILTER_VERSION:
      return 'mixed';
    case ALL_ESCAPED:
      return 'all';
    case NOT_ESCAPED:
      return 'as-given';
    default:
      return typeof doc._id !== 'string' && filter ? 'legacy' : 'as-given';
  }
}

/** Sets a property even when its name is `__proto__`, so stored data cannot reach a prototype. */
function put(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[name] = value;
  }
}

/** Limits for renamed copies and checks alike: what a name becomes, and whether to copy. */
interface Walk {
  rename(name: string): string;
  limits: ServerLimits;
  /** False: only visit, copying nothing. */
  copy: boolean;
}

type Frame = {
  source: Record<string, unknown>;
  copy: Record<string, unknown> | null;
  names: string[] | null;
  length: number;
  next: number;
};

/** The value stored for `value`: what its `toBSON` returns, as BSON itself would do. */
function bsonValue(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) {
    const bson = value as { toBSON?: () => unknown };
    if (typeof bson.toBSON === 'function') return bson.toBSON();
  }
  return value;
}

/**
 * Walks `root`, checking every value (bson-limits.ts) and renaming every property name;
 * copies it unless `how.copy` is false. Iterative, so deep nesting cannot overflow the
 * stack. Everything BSON could not store is refused during the walk, before the walk
 * could run long: a cycle, a level past MongoDB's depth limit (so a getter or Proxy that
 * makes a new child on every read stops there), and a lower bound of the encoded size past
 * 16 MB (an array's length counts before its elements, so a sparse array of length 1e8 is
 * refused at once).
 */
function walk(root: unknown, how: Walk): unknown {
  let bytes = checkValue(root, how.limits);
  if (typeof root !== 'object' || root === null || !isContainer(root)) return root;
  const onPath = new Set<object>();
  const stack: Frame[] = [];
  const enter = (source: object): Record<string, unknown> | null => {
    if (stack.length === MAX_SESSION_DEPTH) refuseDepth(stack.length + 1);
    if (onPath.has(source)) throw new TypeError('Session data contains a circular reference');
    const array = Array.isArray(source);
    if (array) checkArrayLength(source, bytes);
    const names = array ? null : Object.keys(source);
    const copy = how.copy ? ((array ? [] : {}) as Record<string, unknown>) : null;
    onPath.add(source);
    stack.push({
      source: source as Record<string, unknown>,
      copy,
      names,
      length: names ? names.length : (source as unknown[]).length,
      next: 0,
    });
    return copy;
  };
  const rootCopy = enter(root);

  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.length) {
      onPath.delete(top.source);
      stack.pop();
      continue;
    }
    const index = top.next++;
    const name = top.names ? top.names[index]! : String(index);
    const value = bsonValue(top.source[name]);
    const target = top.names ? how.rename(name) : name;
    // Functions and symbols are copied as they are, for BSON to leave out as it always did.
    if (typeof value !== 'function' && typeof value !== 'symbol') {
      // An array index is well-formed and needs no check.
      bytes += (top.names ? checkName(target) : 2 + target.length) + checkValue(value, how.limits);
      if (bytes > MAX_DOCUMENT_BYTES) refuseSize(bytes);
    }
    const nested = typeof value === 'object' && value !== null && isContainer(value) ? enter(value) : value;
    if (top.copy) put(top.copy, target, nested);
  }
  return rootCopy;
}

/** Escapes every property name in session data, at every depth; refuses what cannot be stored. */
const quickEscape = keptNames(escapeName);

export function escapeData(data: unknown, limits = ALL_STORABLE): unknown {
  // The common session in one cheap pass; anything unusual, the full walk decides.
  const quick = quickWalk(data, quickEscape, true);
  if (quick !== QUIT) return quick;
  return walk(data, { rename: escapeName, limits, copy: true });
}

/**
 * Without `Filter`: refuses, before anything is sent, what cannot be stored safely
 * everywhere: names with `.` or `\0` or a leading `$` (as 1.x's servers did), and every
 * value `escapeData` refuses.
 */
const storableName = keptNames((name) => (UNSTORABLE.test(name) ? null : name));

export function checkData(data: unknown, limits = ALL_STORABLE): void {
  if (quickWalk(data, storableName, false) !== QUIT) return;
  walk(data, {
    rename(name) {
      if (UNSTORABLE.test(name)) {
        throw new TypeError('A session property name contains "." or "\\0" or starts with "$"; enable the Filter option to store it');
      }
      return name;
    },
    limits,
    copy: false,
  });
}

/** Duck-typed: the caller's driver may carry its own copy of bson. */
function isPlainBinary(value: object): value is { buffer: Uint8Array; position: number } {
  const binary = value as { _bsontype?: unknown; sub_type?: unknown; buffer?: unknown; position?: unknown };
  return (
    binary._bsontype === 'Binary' && binary.sub_type === 0 && binary.buffer instanceof Uint8Array && typeof binary.position === 'number'
  );
}

function isPlain(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Buffers come back from the driver as Binary of subtype 0. */
function restoreLeaf(value: object): unknown {
  return isPlainBinary(value) ? Buffer.from(value.buffer.subarray(0, value.position)) : value;
}

type Rename = (name: string) => string;

/** Past this depth, `restoreDeep` takes over: no data read from a server can overflow the stack. */
const RECURSION_DEPTH = 64;

/** A value just read, its names restored: containers by `restoreNode`, Binary as a Buffer. */
function restoreValue(value: unknown, rename: Rename, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (!isPlain(value)) return restoreLeaf(value);
  const node = value as Record<string, unknown>;
  return depth < RECURSION_DEPTH ? restoreNode(node, rename, depth + 1) : restoreDeep(node, rename);
}

/** `node` itself when none of its names was escaped, else a copy with the names restored. */
function renameOwn(node: Record<string, unknown>, rename: Rename): Record<string, unknown> {
  if (Array.isArray(node)) return node;
  const names = Object.keys(node);
  if (names.every((name) => rename(name) === name)) return node;
  const copy: Record<string, unknown> = {};
  for (const name of names) put(copy, rename(name), node[name]);
  return copy;
}

/** `restoreNode` with a stack of its own, for data nested deeper than recursion should go. */
function restoreDeep(node: Record<string, unknown>, rename: Rename): Record<string, unknown> {
  const root = renameOwn(node, rename);
  const stack = [root];
  while (stack.length > 0) {
    const next = stack.pop()!;
    for (const name of Object.keys(next)) {
      const value = next[name];
      if (typeof value !== 'object' || value === null) continue;
      const container = isPlain(value);
      const restored = container ? renameOwn(value as Record<string, unknown>, rename) : restoreLeaf(value);
      if (restored !== value) put(next, name, restored);
      if (container) stack.push(restored as Record<string, unknown>);
    }
  }
  return root;
}

/**
 * `node` with its names restored, at every depth, in one pass over each object's names: in
 * place (the document is the store's own), except that an object with an escaped name is
 * copied, to keep the order of its names. Recursive to RECURSION_DEPTH, then restoreDeep.
 */
function restoreNode(node: Record<string, unknown>, rename: Rename, depth: number): Record<string, unknown> {
  if (Array.isArray(node)) {
    const array = node as unknown[];
    for (let i = 0; i < array.length; i++) {
      const restored = restoreValue(array[i], rename, depth);
      if (restored !== array[i]) array[i] = restored;
    }
    return node;
  }
  const names = Object.keys(node);
  let copy: Record<string, unknown> | null = null;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const target = rename(name);
    if (copy === null && target !== name) {
      copy = {};
      for (let j = 0; j < i; j++) put(copy, names[j]!, node[names[j]!]);
    }
    const value = node[name];
    const restored = restoreValue(value, rename, depth);
    if (copy !== null) put(copy, target, restored);
    else if (restored !== value) put(node, name, restored);
  }
  return copy ?? node;
}

/**
 * Restores names written in `form` (see `nameFormOf`; `true` is 1.x's form, `false` 2.x's)
 * in a document the driver has just read. That document is the store's own, so it is
 * changed in place: only objects whose names were escaped are copied, which spares a copy
 * of every read session.
 */
export function unescapeData(data: unknown, form: NameForm | boolean): unknown {
  if (form === 'as-given') return data;
  return restoreValue(data, RENAME[form === true ? 'legacy' : form === false ? 'mixed' : form], 0);
}

/** `Data` and `FilterVersion` of a session about to be written; checks it without `Filter`. */
export function storedData(data: unknown, filter: boolean, limits = ALL_STORABLE): { Data: unknown; FilterVersion: number } {
  if (filter) return { Data: escapeData(data, limits), FilterVersion: FILTER_VERSION };
  checkData(data, limits);
  return { Data: data, FilterVersion: NOT_ESCAPED };
}

/**
 * The session data of a stored document, its names read as they were written, whatever
 * `Filter` says now: turning it on or off never changes a stored name.
 */
export function sessionDataOf(doc: { _id?: unknown; Data?: unknown; FilterVersion?: unknown }, filter: boolean): unknown {
  return unescapeData(doc.Data, nameFormOf(doc, filter));
}
