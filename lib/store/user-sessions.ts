import createDebug from 'debug';
import type { Collection, Filter } from 'mongodb';
import type createStoreTypes from '../../types';
import type { Deadline } from '../calls/deadline';
import { NOT_FLAGGED } from '../expiry/delete-flags';
import { serverErrorCode, type SessionDocument } from '../stored/document';
import { retryTransient } from '../writes/retry';
import { checkSessionId } from '../calls/session-id';
import type { Context } from './context';
import { adoptedRevocation, adoptedUserSessions } from './adopted-users';
import type { SessionEvents } from './events';
import { checkUserId, userOf, type StoredUser, type UserReader } from '../stored/user-key';

/**
 * A user's sessions, through the `User` field `UserKey` fills: listing the live ones, and
 * revoking all that are not flagged yet, ended or not. Revocation always flags (`Delete: true`), whatever `DeleteFlags` says: no write of
 * the store clears the flag, so a request that held a revoked session when it was revoked
 * cannot bring it back when it saves. A plain delete would let that save insert it again.
 * Flagged documents also get `Revoked`, a date that ends them after REVOKED_GRACE_SECONDS
 * (see revoked.ts), so they leave by themselves even when nothing else expires
 * them; `Cleanup` spares them until then, since a gone document can be written back.
 */

type UserSession = createStoreTypes.UserSession;

const debug = createDebug('express-session-mongodb');

export const USER_INDEX = 'User_1';

const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;

/**
 * Sparse: sessions without a user (not logged in, or written without UserKey) cost the index
 * nothing. An index on `User` made otherwise (by hand, not sparse) serves the equality as well: kept.
 */
export async function ensureUserIndex(sessions: Collection<SessionDocument>): Promise<void> {
  try {
    await sessions.createIndex({ User: 1 }, { name: USER_INDEX, sparse: true });
  } catch (err) {
    const code = serverErrorCode(err);
    if (code !== INDEX_OPTIONS_CONFLICT && code !== INDEX_KEY_SPECS_CONFLICT) throw err;
    debug('an index on User exists with other options (code %d): kept', code);
  }
}

/** Without UserKey: shared by every set, which only reads it. */
const NO_USER = Object.freeze({ set: Object.freeze({}), unset: Object.freeze({}) });

/** What a set writes of the user: set when the session names one, unset when it names none. */
export function userFields(reader: UserReader | null, session: object): { set: { User?: StoredUser }; unset: { User?: '' } } {
  if (reader === null) return NO_USER;
  const user = userOf(reader, session);
  return user === undefined ? { set: {}, unset: { User: '' } } : { set: { User: user }, unset: {} };
}

function dateOrNull(value: unknown): Date | null {
  return value instanceof Date ? value : null;
}

/** Each takes its caller's arguments, then the call's deadline (see deadline.ts). */
export interface UserOperations {
  list(userId: unknown, deadline: Deadline): Promise<UserSession[]>;
  flag(userId: unknown, exceptSid: unknown, deadline: Deadline): Promise<number>;
}

/** What UserSessions lists of a session; connect-mongo's documents have no SessionID, only `_id`. */
function listedSession(ctx: Context, doc: SessionDocument): UserSession {
  const end = ctx.expiry.deadline(doc);
  return {
    id: typeof doc.SessionID === 'string' ? doc.SessionID : String(doc._id),
    created: dateOrNull(doc.Created),
    lastAccessed: dateOrNull(doc.LastAccessed),
    expires: Number.isFinite(end) ? new Date(end) : null,
  };
}

export function userOperations(context: () => Promise<Context>, events: SessionEvents): UserOperations {
  /** The context, once UserKey is known to be set: without it no session names its user. */
  async function usersContext(method: string): Promise<Context> {
    const ctx = await context();
    if (ctx.settings.userKey === null) {
      throw new Error(`${method} needs the UserKey option, which says where sessions name their user`);
    }
    return ctx;
  }

  /** The indexed part is a plain equality on `User`: what MongoDB and FerretDB on PostgreSQL serve from an index. */
  const liveOf = (ctx: Context, userId: StoredUser, now: number): Filter<SessionDocument> =>
    ({ User: userId, ...NOT_FLAGGED, ...ctx.expiry.liveFilter(now) }) as Filter<SessionDocument>;

  async function list(userId: unknown, deadline: Deadline): Promise<UserSession[]> {
    const user = checkUserId(userId, 'UserSessions');
    const ctx = await usersContext('UserSessions');
    const now = Date.now();
    // Never the session's contents: only what dates it (1.x and 2.0 cookies date it from Data).
    const projection = { SessionID: 1, Created: 1, LastAccessed: 1, Expires: 1, 'Data.cookie.expires': 1, 'Data.cookie._expires': 1 };
    const docs = ctx.settings.adopt
      ? await adoptedUserSessions(ctx, user, now, projection, deadline)
      : await retryTransient(() => ctx.sessions.find(liveOf(ctx, user, now), { projection }).toArray(), deadline);
    return docs.map((doc) => listedSession(ctx, doc)).sort((a, b) => (a.created?.getTime() ?? 0) - (b.created?.getTime() ?? 0));
  }

  async function flag(userId: unknown, exceptSid: unknown, deadline: Deadline): Promise<number> {
    const user = checkUserId(userId, 'FlagUserSessions');
    if (exceptSid !== null && typeof exceptSid !== 'string') {
      throw new TypeError(`FlagUserSessions: exceptSid must be a session ID (string) or null, got ${typeof exceptSid}`);
    }
    const except = exceptSid === null ? null : checkSessionId(exceptSid);
    const ctx = await usersContext('FlagUserSessions');
    const now = Date.now();
    // Ended ones too: a session that ended a moment ago is still there, and a request that
    // read it live would renew its cookie when it saves it. Only a flag keeps it gone.
    const mine = { User: user, ...NOT_FLAGGED } as Filter<SessionDocument>;
    // By SessionID, which documents of 1.x (ObjectId `_id`) and 2.x both hold, and `_id` (connect-mongo's).
    const own = except === null ? mine : { ...mine, _id: { $ne: except }, SessionID: { $ne: except } };
    const filter = ctx.settings.adopt ? await adoptedRevocation(ctx, user, own, deadline) : own;
    // Not fenced (see write-fence): a revocation applies whatever a session's last write stamped.
    const revoke = { $set: { Delete: true as const, Revoked: new Date(now) } };
    // connect-mongo's processes know no flag: their `expires` ends it for them.
    if (ctx.settings.adopt) Object.assign(revoke.$set, { expires: new Date(now) });
    const result = await retryTransient(() => ctx.sessions.updateMany(filter, revoke, deadline.writeOptions()), deadline);
    events.emit('revoke', deadline, user, result.matchedCount);
    return result.matchedCount;
  }

  return { list, flag };
}
