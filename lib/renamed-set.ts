import type { Collection, Filter, UpdateFilter } from 'mongodb';
import type { Deadline } from './deadline';
import { modifiedDocument, RETURN_AFTER } from './driver';
import type { SessionDocument } from './document';

/**
 * FerretDB v1 compares a `$set` value with the stored one ignoring property names and skips
 * it when the values match in order, while answering that it modified the document: a session
 * whose change is only a rename (`pendingMfa: true` becoming `mfaVerified: true`) was
 * acknowledged and never stored. On such a server, a write of an existing session reads back
 * what it left; where a name differs, it writes `Data` again through a value of another
 * length (the same session plus a marker property, which reads leave out), then `Data` itself.
 */

/** A name no session has in practice; reads remove it, so a read during a rewrite sees the new session. */
export const REWRITE_MARK = '\u0001esm-rewrite';

function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return Array.isArray(value) || proto === Object.prototype || proto === null;
}

/** The same names at every depth, in the same order; values are not compared. */
export function sameNames(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (!isPlain(x) || !isPlain(y)) {
      if (isPlain(x) !== isPlain(y)) return false;
      continue;
    }
    const names = Object.keys(x);
    const other = Object.keys(y);
    if (names.length !== other.length || Array.isArray(x) !== Array.isArray(y)) return false;
    for (let i = 0; i < names.length; i++) {
      if (names[i] !== other[i]) return false;
      stack.push([x[names[i]!], y[names[i]!]]);
    }
  }
  return true;
}

/** Leaves the marker of a rewrite under way out of a session just read. */
export function withoutMark(data: unknown): void {
  if (isPlain(data) && Object.hasOwn(data, REWRITE_MARK)) delete data[REWRITE_MARK];
}

/**
 * An upsert of `update` (which sets `Data`) under `key` that makes sure a rename lands on such
 * a server; the rewrite goes to `own`, the document as this write left it. With `upsert`
 * false, an update only: resolves false when no document was there to write.
 */
export async function upsertRenames(
  sessions: Collection<SessionDocument>,
  key: Filter<SessionDocument>,
  update: UpdateFilter<SessionDocument>,
  deadline: Deadline,
  own: Filter<SessionDocument> = key,
  upsert = true,
): Promise<boolean> {
  const data = (update.$set as { Data?: unknown } | undefined)?.Data;
  const after = modifiedDocument(
    await sessions.findOneAndUpdate(key, update, {
      upsert,
      ...RETURN_AFTER,
      includeResultMetadata: false,
      ...deadline.writeOptions(),
    }),
  );
  if (after === null) return false;
  if (sameNames(after.Data, data)) return true;
  await sessions.bulkWrite(
    [
      { updateOne: { filter: own, update: { $set: { Data: { ...(data as object), [REWRITE_MARK]: true } } } } },
      { updateOne: { filter: own, update: { $set: { Data: data } } } },
    ],
    { ordered: true, ...deadline.writeOptions() },
  );
  return true;
}
