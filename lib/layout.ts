import createDebug from 'debug';
import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { serverErrorCode, type SessionDocument } from './document';

const debug = createDebug('express-session-mongodb');
const DUPLICATE_KEY = 11000;

/**
 * Where a session is found. 2.x keys documents by `_id` (the session ID), the one lookup
 * every server serves from an index. A collection holding 1.x documents (ObjectId `_id`)
 * is keyed by `SessionID` instead, as 1.x did, so old and new documents are served alike
 * and 1.x processes of the same fleet keep finding theirs.
 *
 * While a fleet is upgraded, 1.x processes may create documents after this process
 * started on a collection without any. So under the `_id` key, an operation that matched
 * nothing is tried once more under `SessionID`; if that finds a document, the layout
 * switches to `SessionID` for good. A hit costs one `_id` round trip, a miss two.
 */
export interface Layout {
  readonly legacy: boolean;
  key(sid: string): Filter<SessionDocument>;
  /**
   * Runs `operation` on the session's key. Under the `_id` key, when `missed` says it
   * matched nothing, runs it again under `SessionID`; a match there switches to `SessionID`.
   */
  lookup<T>(sid: string, operation: (key: Filter<SessionDocument>) => Promise<T>, missed: (result: T) => boolean): Promise<T>;
  /**
   * A write under the `_id` key failed with `err`. True when it was a duplicate
   * `SessionID` (a 1.x document of that session exists): the layout has switched to
   * `SessionID`, and the write should be sent again.
   */
  adoptDuplicate(err: unknown, sessions: Collection<SessionDocument>, sid: string): Promise<boolean>;
  /** The upsert that writes `fields` into the session's document. */
  write(sid: string, fields: Partial<SessionDocument>, unset: Partial<Record<keyof SessionDocument, ''>>): UpdateFilter<SessionDocument>;
  /**
   * The document that inserting a new session writes, or null where new sessions are
   * upserted: keyed by `SessionID`, an insert could duplicate a 1.x document.
   */
  insert(sid: string, fields: Partial<SessionDocument>): SessionDocument | null;
}

/**
 * Whether a duplicate-key error was on `SessionID`. MongoDB names the key; FerretDB does
 * not, so then: no document has the session ID as `_id`, hence the clash was on `SessionID`.
 */
async function isDuplicateSessionId(err: unknown, sessions: Collection<SessionDocument>, sid: string): Promise<boolean> {
  if (serverErrorCode(err) !== DUPLICATE_KEY) return false;
  const { keyPattern } = err as { keyPattern?: Record<string, unknown> };
  if (keyPattern) return 'SessionID' in keyPattern;
  return (await sessions.findOne({ _id: sid }, { projection: { _id: 1 } })) === null;
}

/** A layout keyed by `_id` until a 1.x document turns up, or by `SessionID` from the start. */
export function makeLayout(startLegacy: boolean): Layout {
  let legacy = startLegacy;
  const byId = (sid: string): Filter<SessionDocument> => ({ _id: sid });
  const bySessionId = (sid: string): Filter<SessionDocument> => ({ SessionID: sid });
  // Only 1.x documents (ObjectId `_id`) can be missed by `_id`: MongoDB finds them from the `_id`
  // index's ObjectId range, empty on a 2.x-only collection, even without IndexSessionID.
  const among1x = (sid: string): Filter<SessionDocument> => ({ _id: { $type: 'objectId' }, SessionID: sid });
  const switchToSessionId = (why: string): void => {
    if (legacy) return;
    legacy = true;
    debug('a 1.x document turned up (%s): sessions are looked up by SessionID from now on', why);
  };
  return {
    get legacy() {
      return legacy;
    },
    key: (sid) => (legacy ? bySessionId(sid) : byId(sid)),
    async lookup(sid, operation, missed) {
      if (legacy) return operation(bySessionId(sid));
      const result = await operation(byId(sid));
      if (!missed(result)) return result;
      const fallback = await operation(among1x(sid));
      if (!missed(fallback)) switchToSessionId(`found by SessionID, not by _id`);
      return fallback;
    },
    async adoptDuplicate(err, sessions, sid) {
      if (legacy || !(await isDuplicateSessionId(err, sessions, sid))) return false;
      switchToSessionId('duplicate SessionID');
      return true;
    },
    write(sid, fields, unset) {
      const update: UpdateFilter<SessionDocument> = { $set: { ...fields, SessionID: sid } };
      if (Object.keys(unset).length > 0) update.$unset = unset;
      // A new document gets the session ID as `_id` even when found by SessionID.
      if (legacy) update.$setOnInsert = { _id: sid };
      return update;
    },
    insert: (sid, fields) => (legacy ? null : ({ _id: sid, ...fields, SessionID: sid } as SessionDocument)),
  };
}

export async function detectLayout(sessions: Collection<SessionDocument>): Promise<Layout> {
  return makeLayout((await sessions.findOne({ _id: { $type: 'objectId' } }, { projection: { _id: 1 } })) !== null);
}
