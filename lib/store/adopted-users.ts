import type { Filter } from 'mongodb';
import type { Deadline } from '../calls/deadline';
import { NOT_FLAGGED } from '../expiry/delete-flags';
import { theirSession } from '../stored/adopted';
import type { SessionDocument } from '../stored/document';
import { userOf, type StoredUser } from '../stored/user-key';
import { retryTransient } from '../writes/retry';
import type { Context } from './context';

/**
 * UserSessions and FlagUserSessions with `Adopt`: a session connect-mongo wrote (or wrote again
 * after this store) names its user only inside their `session` field, which may be a JSON
 * string no filter reads. So the documents that hold that field are read too, and their user
 * found as `UserKey` says: a read of every such document, only with Adopt.
 */

/** What says whose a session is, in documents of both forms. */
const ADOPTED_PROJECTION = { session: 1, SessionHash: 1, 'Data.cookie': 1, User: 1 } as const;

function sameUser(a: unknown, b: StoredUser): boolean {
  return a === b || (typeof a === 'object' && a !== null && typeof b === 'object' && String(a) === String(b));
}

/** The user the session names, wherever its newer form keeps it: their `session`, else `User`. */
async function ownerOf(ctx: Context, doc: SessionDocument): Promise<unknown> {
  const theirs = await theirSession(ctx.settings.adopt!, doc).catch(() => undefined);
  if (theirs === undefined) return doc.User;
  try {
    return userOf(ctx.settings.userKey!, theirs);
  } catch {
    // A user the store does not keep, in a session it did not write: no user it can name.
    return undefined;
  }
}

/** Of `docs`, those that are `user`'s. */
async function ownedBy(ctx: Context, docs: SessionDocument[], user: StoredUser): Promise<SessionDocument[]> {
  const owners = await Promise.all(docs.map((doc) => ownerOf(ctx, doc)));
  return docs.filter((_doc, i) => sameUser(owners[i], user));
}

/**
 * The filter FlagUserSessions revokes with: every document naming the user in `User` (one
 * update, as without Adopt), and those whose user only their `session` names, read first.
 */
export async function adoptedRevocation(ctx: Context, user: StoredUser, own: Filter<SessionDocument>, deadline: Deadline) {
  const { User: _user, ...scope } = own;
  const filter = { ...scope, session: { $exists: true }, User: { $ne: user } } as Filter<SessionDocument>;
  const docs = await retryTransient(() => ctx.sessions.find(filter, { projection: ADOPTED_PROJECTION }).toArray(), deadline);
  const ids = (await ownedBy(ctx, docs, user)).map((doc) => doc._id);
  return { ...scope, $or: [{ User: user }, { _id: { $in: ids } }] } as Filter<SessionDocument>;
}

/** UserSessions' read: the live documents naming the user in `User` or holding their `session`, kept where `user`'s. */
export async function adoptedUserSessions(
  ctx: Context,
  user: StoredUser,
  now: number,
  projection: Record<string, number>,
  deadline: Deadline,
): Promise<SessionDocument[]> {
  const either = { $or: [{ User: user }, { session: { $exists: true } }] };
  const filter = { ...NOT_FLAGGED, ...ctx.expiry.liveFilter(now), ...either } as Filter<SessionDocument>;
  const found = await retryTransient(
    () => ctx.sessions.find(filter, { projection: { ...projection, ...ADOPTED_PROJECTION } }).toArray(),
    deadline,
  );
  return ownedBy(ctx, found, user);
}
