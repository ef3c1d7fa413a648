import createDebug from 'debug';
import type { Collection, Db, Filter, UpdateFilter } from 'mongodb';
import { serverErrorCode, type SessionDocument } from '../stored/document';
import type { ForcedLookup } from '../calls/options';

const debug = createDebug('express-session-mongodb');
const DUPLICATE_KEY = 11000;

/**
 * Where a session is found. 2.x keys documents by `_id` (the session ID); 1.x documents have
 * an ObjectId `_id` and are found by `SessionID`. Unless `SharedWith1x: false` says no 1.x
 * process writes to the collection, 1.x processes of a fleet being upgraded may create
 * documents at any time, so every lookup must also find those, in one of two ways:
 *
 * - `either` (MongoDB): one filter, `_id` = the session ID or a 1.x document of that
 *   `SessionID`. Both branches are served from the `_id` index (the second reads its range of
 *   ObjectIds, empty on a 2.x-only collection), so a hit and a miss alike cost one round trip.
 *   Upserts insert `_id` = the session ID, never a second document beside a 1.x one.
 * - `two-step` (FerretDB v1, which serves no filter but `{ _id }` from storage, and mongos,
 *   which cannot route an `$or` to one shard): by `_id` first; what matched nothing is tried
 *   once more among 1.x documents, and a match there switches the process to `SessionID`
 *   for good. A hit costs one `_id` round trip, a miss two. That second read costs a scan
 *   there (every shard, or the whole table), so misses share it (see `anyOf1x`).
 *
 * And `id`, on any server, where `SharedWith1x: false` and the collection held no 1.x
 * document at start: none can appear, so a session is exactly `{ _id }`, found or missing
 * in one round trip that FerretDB pushes down and a mongos routes to one shard.
 */
export type LookupMode = 'either' | 'two-step' | 'id';

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
  probe(sid: string): Promise<void>;
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
// A literal, not a spread of ANY_1X: built for every lookup and write on MongoDB.
const among1x = (sid: string): Filter<SessionDocument> => ({ _id: ANY_1X._id, SessionID: sid });
const byId = (sid: string): Filter<SessionDocument> => ({ _id: sid });
const bySessionId = (sid: string): Filter<SessionDocument> => ({ SessionID: sid });
const either = (sid: string): Filter<SessionDocument> => ({ $or: [byId(sid), among1x(sid)] });

/** `key` narrowed by `extra`: an `$and` where a spread would let one's `$or` replace the other's. */
export function narrowed(key: Filter<SessionDocument>, extra: Filter<SessionDocument>): Filter<SessionDocument> {
  // Object.assign, not a spread: see upsertOf.
  return Object.keys(extra).some((name) => name in key) ? { $and: [key, extra] } : Object.assign({}, key, extra);
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

/** The upsert of a session's fields; `idOnInsert` where its filter does not fix `_id` (`SessionID`, `$or`). */
function upsertOf(sid: string, fields: Partial<SessionDocument>, unset: Partial<Record<keyof SessionDocument, ''>>, idOnInsert: boolean) {
  // Not `{ ...fields, SessionID }`: V8 gives a spread followed by a name its source lacks a
  // slow map transition, half a microsecond on every set (bench/cpu-profile.ts, issue 21).
  const set: Partial<SessionDocument> = Object.assign({}, fields);
  set.SessionID = sid;
  const update: UpdateFilter<SessionDocument> = { $set: set };
  if (Object.keys(unset).length > 0) update.$unset = unset;
  // A new document gets the session ID as `_id` even when found by SessionID.
  if (idOnInsert) update.$setOnInsert = { _id: sid };
  return update;
}

const insertById = (sid: string, fields: Partial<SessionDocument>): SessionDocument =>
  Object.assign({ _id: sid }, fields, { SessionID: sid }) as SessionDocument;

/** Every operation under one filter that finds a 2.x or a 1.x document alike. */
function eitherLayout(): Layout {
  return {
    mode: 'either',
    legacy: false,
    key: either,
    lookup: (sid, operation) => operation(either(sid)),
    probe: async () => {},
    adoptDuplicate: async () => false,
    write: (sid, fields, unset) => upsertOf(sid, fields, unset, true),
    insert: () => null,
  };
}

/** No 1.x document exists or can appear (`SharedWith1x: false`): `{ _id }` alone, for everything. */
function idLayout(): Layout {
  return {
    mode: 'id',
    legacy: false,
    key: byId,
    lookup: (sid, operation) => operation(byId(sid)),
    probe: async () => {},
    adoptDuplicate: async () => false,
    write: (sid, fields, unset) => upsertOf(sid, fields, unset, false),
    insert: insertById,
  };
}

/**
 * Whether the collection holds any 1.x document, read by one `findOne` at a time that every
 * miss waiting meanwhile shares: on FerretDB v1 and behind a mongos each such read costs a
 * scan (every shard, or the whole table), and a replayed stale cookie must not cost one per
 * request. A caller takes only an answer read after it `began` (`performance.now()`), since a
 * 1.x document written just before its request must be found. True for good once one turns up.
 */
function anyOf1x(sessions: Collection<SessionDocument>): (began: number) => Promise<boolean> {
  let found = false;
  let current: { started: number; answer: Promise<boolean> } | null = null;
  let next: Promise<boolean> | null = null;
  const start = (): Promise<boolean> => {
    const answer = sessions.findOne(ANY_1X, { projection: { _id: 1 } }).then((doc) => (found ||= doc !== null));
    const read = { started: performance.now(), answer };
    current = read;
    const done = (): void => {
      if (current === read) current = null;
    };
    answer.then(done, done);
    return answer;
  };
  return (began) => {
    if (found) return Promise.resolve(true);
    if (current === null) return start();
    if (current.started >= began) return current.answer;
    // The read under way may have begun before this caller: the next one, for all who wait now.
    const before = current.answer;
    next ??= before
      .catch(() => false)
      .then(() => {
        next = null;
        if (found) return true;
        return current !== null && current.answer !== before ? current.answer : start();
      });
    return next;
  };
}

/** Keyed by `_id` until a 1.x document turns up, or by `SessionID` from the start. */
function twoStepLayout(sessions: Collection<SessionDocument>, startLegacy: boolean): Layout {
  let legacy = startLegacy;
  const any1x = anyOf1x(sessions);
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
      const began = performance.now();
      const result = await operation(byId(sid));
      if (!missed(result) || !(await any1x(began))) return result;
      const fallback = await operation(among1x(sid));
      if (!missed(fallback)) switchToSessionId('found by SessionID, not by _id');
      return fallback;
    },
    async probe(sid) {
      if (legacy || !(await any1x(performance.now()))) return;
      if ((await sessions.findOne(among1x(sid), { projection: { _id: 1 } })) !== null) switchToSessionId('set of a 1.x session');
    },
    async adoptDuplicate(err, sessions, sid) {
      if (legacy || !(await isDuplicateSessionId(err, sessions, sid))) return false;
      switchToSessionId('duplicate SessionID');
      return true;
    },
    write: (sid, fields, unset) => upsertOf(sid, fields, unset, legacy),
    insert: (sid, fields) => (legacy ? null : insertById(sid, fields)),
  };
}

/**
 * `id` where no 1.x document exists and none can appear (`shared1x` false); else `either` on
 * MongoDB, and `two-step` where that filter would cost more than a second lookup on a miss:
 * FerretDB v1 (`idFiltersOnly`), or a mongos in front of shards. `forced` (tests only)
 * chooses between the last two; `id` comes before, on every server alike.
 */
export async function detectLayout(
  db: Db,
  sessions: Collection<SessionDocument>,
  options: { idFiltersOnly: boolean; shared1x: boolean; forced?: ForcedLookup | undefined },
): Promise<Layout> {
  let has1x: boolean | undefined;
  const holds1x = async (): Promise<boolean> => (has1x ??= (await sessions.findOne(ANY_1X, { projection: { _id: 1 } })) !== null);
  if (!options.shared1x && !(await holds1x())) return idLayout();
  // `hello` before 4.4.2 was `isMaster`; a mongos answers `msg: 'isdbgrid'` to either.
  const admin = db.admin();
  const routed = (await admin.command({ hello: 1 }).catch(() => admin.command({ isMaster: 1 }))).msg === 'isdbgrid';
  const mode = options.forced ?? (options.idFiltersOnly || routed ? 'two-step' : 'either');
  if (mode === 'either') return eitherLayout();
  return twoStepLayout(sessions, await holds1x());
}
