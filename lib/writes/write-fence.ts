import type { Collection, Filter } from 'mongodb';
import type { Deadline } from '../calls/deadline';
import type { SessionDocument } from '../stored/document';

/**
 * Late writes land harmlessly, from whichever process. Every write of a session stamps
 * `Written` with its time of sending and applies only where the stored stamp is not later:
 * a write the server gets after a newer one (its caller long told it timed out) matches
 * nothing. A write refused so while its caller still waits was overtaken by a concurrent
 * write, or its clock runs behind another process's: it goes once more against exactly the
 * stamp it found, so it lands unless yet another write came in between, and that one is newer.
 * So late writes are harmless as long as the fleet's clocks agree within the lateness.
 *
 * Only `_id` keys are fenced: 1.x documents (found by `SessionID`) are written by 1.x
 * processes too, which do not stamp, and an upsert refused under `SessionID` would insert a
 * second document where an `_id` key fails with a duplicate key.
 */
export interface WriteFence {
  /** `key` narrowed to a document whose stamp is not later than `stamp`. */
  guard(key: Filter<SessionDocument>, stamp: Date): Filter<SessionDocument>;
  /**
   * After a guarded write of `key` matched nothing: the later stamp that refused it, or null
   * when nothing did (no document, or the key is not fenced). Throws once the caller gave up.
   */
  refusal(key: Filter<SessionDocument>, stamp: Date, deadline: Deadline): Promise<Date | null>;
}

const NEVER: WriteFence = { guard: (key) => key, refusal: async () => null };

/**
 * The part of `key` that finds a 2.x document, fenced alone: `{ _id }`, or the first branch of
 * an `$or` that also finds a 1.x document (see layout); null for a `SessionID` key.
 */
function ownKey(key: Filter<SessionDocument>): Filter<SessionDocument> | null {
  const own = key.$or?.[0] ?? key;
  return typeof own._id === 'string' ? own : null;
}

function guarded(key: Filter<SessionDocument>, stamp: Date): Filter<SessionDocument> {
  const own = ownKey(key);
  if (own === null) return key;
  // Object.assign, not `{ ...own, Written }`: see upsertOf in layout.
  const fenced: Filter<SessionDocument> = Object.assign({}, own);
  fenced.Written = { $not: { $gt: stamp } };
  if (!key.$or) return fenced;
  const branches = key.$or.slice();
  branches[0] = fenced;
  return { ...key, $or: branches };
}

/** The stamp a second try writes: just past the one it found, and not before its own. */
export function after(found: Date, stamp: Date): Date {
  return new Date(Math.max(found.getTime() + 1, stamp.getTime()));
}

export function writeFence(on: boolean, sessions: Collection<SessionDocument>): WriteFence {
  if (!on) return NEVER;
  return {
    guard: guarded,
    async refusal(key, stamp, deadline) {
      const own = ownKey(key);
      if (own === null) return null;
      deadline.check();
      const doc = await sessions.findOne(own, { projection: { Written: 1 } });
      const found = doc?.Written;
      return found instanceof Date && found.getTime() > stamp.getTime() ? found : null;
    },
  };
}
