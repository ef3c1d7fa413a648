import createDebug from 'debug';
import type { Collection, Db, Filter, UpdateFilter } from 'mongodb';
import { serverErrorCode, type SessionDocument } from './document';

const debug = createDebug('express-session-mongodb');
const DUPLICATE_KEY = 11000;

/**
 * Where a session is found. 2.x keys documents by `_id` (the session ID); 1.x documents have
 * an ObjectId `_id` and are found by `SessionID`. 1.x processes of a fleet being upgraded may
 * create documents at any time, so every lookup must also find those, in one of two ways:
 *
 * - `either` (MongoDB): one filter, `_id` = the session ID or a 1.x document of that
 *   `SessionID`. Both branches are served from the `_id` index (the second reads its range of
 *   ObjectIds, empty on a 2.x-only collection), so a hit and a miss alike cost one round trip.
 *   Upserts insert `_id` = the session ID, never a second document beside a 1.x one.
 * - `two-step` (FerretDB v1, which serves no filter but `{ _id }` from storage, and mongos,
 *   which cannot route an `$or` to one shard): by `_id` first; what matched nothing is tried
 *   once more among 1.x documents, and a match there switches the process to `SessionID`
 *   for good. A hit costs one `_id` round trip, a miss two.
 */
export type LookupMode = 'either' | 'two-step';

export interface Layout {
  readonly mode: LookupMode;
  /** Two-step only: the process has met a 1.x document and keys everything on `SessionID`. */
  readonly legacy: boolean;
  key(sid: string): Filter<SessionDocument>;
  /** Runs `operation` on the session's key; two-step, once more among 1.x documents when `missed`. */
  lookup<T>(sid: string, operation: (key: Filter<SessionDocument>) => Promise<T>, missed: (result: T) => boolean): Promise<T>;
  /**
   * Before a `set` of an ID this process neither read, wrote nor made: in two-step mode, looks
   * among 1.x documents for it, so that the write goes to the one found instead of beside it.
   */
  probe(sessions: Collection<SessionDocument>, sid: string): Promise<void>;
  /**
   * A write failed with `err`. True when it was a duplicate `SessionID` under the `_id` key (a
   * 1.x document of that session exists): the layout has switched to `SessionID`.
   */
  adoptDuplicate(err: unknown, sessions: Collection<SessionDocument>, sid: string): Promise<boolean>;
  /** The upsert that writes `fields` into the session's document. */
  write(sid: string, fields: Partial<SessionDocument>, unset: Partial<Record<keyof SessionDocument, ''>>): UpdateFilter<SessionDocument>;
  /**
   * The document that inserting a new session writes, or null where new sessions are upserted:
   * an insert could put a second document beside a 1.x one that only an upsert's filter finds.
   */
  insert(sid: string, fields: Partial<SessionDocument>): SessionDocument | null;
}

/** Only 1.x documents (ObjectId `_id`): MongoDB reads them from the `_id` index's ObjectId range. */
const ANY_1X: Filter<SessionDocument> = { _id: { $type: 'objectId' } };
const among1x = (sid: string): Filter<SessionDocument> => ({ ...ANY_1X, SessionID: sid });
const byId = (sid: string): Filter<SessionDocument> => ({ _id: sid });
const bySessionId = (sid: string): Filter<SessionDocument> => ({ SessionID: sid });
const either = (sid: string): Filter<SessionDocument> => ({ $or: [byId(sid), among1x(sid)] });

/** `key` narrowed by `extra`: an `$and` where a spread would let one's `$or` replace the other's. */
export function narrowed(key: Filter<SessionDocument>, extra: Filter<SessionDocument>): Filter<SessionDocument> {
  return Object.keys(extra).some((name) => name in key) ? { $and: [key, extra] } : { ...key, ...extra };
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

/** Every operation under one filter that finds a 2.x or a 1.x document alike. */
function eitherLayout(): Layout {
  return {
    mode: 'either',
    legacy: false,
    key: either,
    lookup: (sid, operation) => operation(either(sid)),
    probe: async () => {},
    adoptDuplicate: async () => false,
    write(sid, fields, unset) {
      const update: UpdateFilter<SessionDocument> = { $set: { ...fields, SessionID: sid }, $setOnInsert: { _id: sid } };
      if (Object.keys(unset).length > 0) update.$unset = unset;
      return update;
    },
    insert: () => null,
  };
}

/** Keyed by `_id` until a 1.x document turns up, or by `SessionID` from the start. */
function twoStepLayout(startLegacy: boolean): Layout {
  let legacy = startLegacy;
  const switchToSessionId = (why: string): void => {
    if (legacy) return;
    legacy = true;
    debug('a 1.x document turned up (%s): sessions are looked up by SessionID from now on', why);
  };
  return {
    mode: 'two-step',
    get legacy() {
      return legacy;
    },
    key: (sid) => (legacy ? bySessionId(sid) : byId(sid)),
    async lookup(sid, operation, missed) {
      if (legacy) return operation(bySessionId(sid));
      const result = await operation(byId(sid));
      if (!missed(result)) return result;
      const fallback = await operation(among1x(sid));
      if (!missed(fallback)) switchToSessionId('found by SessionID, not by _id');
      return fallback;
    },
    async probe(sessions, sid) {
      if (legacy) return;
      if ((await sessions.findOne(among1x(sid), { projection: { _id: 1 } })) !== null) switchToSessionId('set of a 1.x session');
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

/**
 * `either` on MongoDB; `two-step` where that filter would cost more than a second lookup on a
 * miss: FerretDB v1 (`idFiltersOnly`), or a mongos in front of shards. `forced`: tests only.
 */
export async function detectLayout(
  db: Db,
  sessions: Collection<SessionDocument>,
  idFiltersOnly: boolean,
  forced?: LookupMode,
): Promise<Layout> {
  // `hello` before 4.4.2 was `isMaster`; a mongos answers `msg: 'isdbgrid'` to either.
  const admin = db.admin();
  const routed = (await admin.command({ hello: 1 }).catch(() => admin.command({ isMaster: 1 }))).msg === 'isdbgrid';
  const mode = forced ?? (idFiltersOnly || routed ? 'two-step' : 'either');
  if (mode === 'either') return eitherLayout();
  return twoStepLayout((await sessions.findOne(ANY_1X, { projection: { _id: 1 } })) !== null);
}
