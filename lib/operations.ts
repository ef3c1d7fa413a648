import createDebug from 'debug';
import type { SessionData } from 'express-session';
import type { DeleteResult, Filter, UpdateFilter, UpdateResult } from 'mongodb';
import type createStoreTypes from '../types';
import { explainWriteFailure } from './bson-limits';
import { NO_DEADLINE, type Deadline } from './deadline';
import { cleanup, flagDeletion, isFlagged, NOT_FLAGGED } from './delete-flags';
import type { SessionDocument } from './document';
import { sealedBytes } from './encryption';
import { idleRefreshes, type IdleRefreshes } from './idle-refresh';
import { narrowed } from './layout';
import type { MadeSessions } from './made-sessions';
import { retryTransient } from './retry';
import { checkSessionId } from './session-id';
import { fenced, insertNew, ordered, upsert } from './session-writes';
import { opened, renewedCookie, stored, toSession } from './stored-form';
import type { Context } from './setup';
import { userFields } from './user-sessions';

/** What the store does with sessions, one function per method, each over the prepared context. */

type ListedSession = createStoreTypes.ListedSession;

const debug = createDebug('express-session-mongodb');
const MIN_REFRESH_MS = 1_000;
/** The least time left for a touch to go without the liveness conditions (OperationTimeoutMS 0). */
const MIN_MARGIN_MS = 10_000;

function checkSession(session: unknown): SessionData {
  if (typeof session !== 'object' || session === null || Array.isArray(session)) {
    throw new TypeError(`Session must be an object, got ${session === null ? 'null' : Array.isArray(session) ? 'array' : typeof session}`);
  }
  return session as SessionData;
}

/** Each takes its caller's arguments, then the call's deadline (see deadline.ts). */
export interface Operations {
  get(sid: unknown): Promise<SessionData | null>;
  set(sid: unknown, session: unknown, deadline: Deadline): Promise<SessionData>;
  touch(sid: unknown, session: unknown, deadline: Deadline): Promise<void>;
  /** With DeleteFlags, the number flagged, as 1.x called back. */
  destroy(sid: unknown, deadline: Deadline): Promise<number | undefined>;
  clear(deadline: Deadline): Promise<number | undefined>;
  length(): Promise<number>;
  all(): Promise<ListedSession[]>;
  flag(sid: unknown, deadline: Deadline): Promise<number>;
  removeFlagged(deadline: Deadline): Promise<number>;
  /** Drops the refreshes not sent yet. */
  stop(): void;
}

/**
 * The session is gone as far as this process knows (missing, flagged, ended, unreadable,
 * destroyed): not live any more, and, with UserKey, not to be created again by a request that
 * held it (see set).
 */
function went(ctx: Context, id: string): null {
  ctx.known.forget(id);
  ctx.gone.add(id);
  return null;
}

export function sessionOperations(context: () => Promise<Context>, made: MadeSessions): Operations {
  let refreshes: IdleRefreshes | undefined;
  const refreshesOf = (ctx: Context): IdleRefreshes =>
    (refreshes ??= idleRefreshes(ctx.settings.timeToLive, (id, at) =>
      // No caller waits for it, and a late $max cannot move the clock back.
      ordered(ctx, id, NO_DEADLINE, () =>
        // Exactly the key, which FerretDB can push down: sent well before the session's
        // deadline, for a session read live, and $max never moves the clock back.
        ctx.sessions.updateOne(ctx.layout.key(id), { $max: { LastAccessed: new Date(at) } }),
      ).catch((err: unknown) => {
        // Not counted: the next read schedules it again.
        ctx.throttle.forget(id);
        debug('refresh of LastAccessed failed: %s', (err as Error).message);
      }),
    ));

  /**
   * With TimeToLive, a read restarts the idle clock (soon: see idle-refresh), unless it was
   * restarted within a second (a set just before, say) or within TouchInterval by this process.
   */
  function countAccess(ctx: Context, id: string, doc: SessionDocument, now: number): void {
    const ttl = ctx.settings.timeToLive * 1000;
    const last = doc.LastAccessed instanceof Date ? doc.LastAccessed.getTime() : -Infinity;
    if (ttl === 0 || now - last < Math.min(MIN_REFRESH_MS, ttl / 10) || ctx.throttle.recentlySeen(id, now)) return;
    ctx.throttle.remember(id, now);
    refreshesOf(ctx).schedule(id, now, ctx.expiry.deadline(doc));
  }

  async function get(sid: unknown): Promise<SessionData | null> {
    const id = checkSessionId(sid);
    const ctx = await context();
    const now = Date.now();
    // A miss under `_id` looks again under SessionID: a 1.x process may have made it.
    const doc = await retryTransient(() =>
      ctx.layout.lookup(
        id,
        (key) => ctx.sessions.findOne(key),
        (found) => found === null,
      ),
    );
    if (doc === null || isFlagged(doc) || !ctx.expiry.isLive(doc, now)) return went(ctx, id);
    // Taken before opening, which replaces a sealed Data with its plaintext.
    const current = ctx.settings.encryption?.writes(sealedBytes(doc.Data)) ?? true;
    const readable = opened(ctx, id, doc);
    if (readable === null) return went(ctx, id);
    ctx.gone.forget(id);
    ctx.known.add(id, {
      deadline: ctx.expiry.deadline(doc),
      absolute: ctx.expiry.absolute(doc),
      created: doc.Created instanceof Date,
      current,
    });
    countAccess(ctx, id, doc, now);
    return toSession(ctx, readable);
  }

  async function set(sid: unknown, session: unknown, deadline: Deadline): Promise<SessionData> {
    const id = checkSessionId(sid);
    const input = checkSession(session);
    const ctx = await context();
    const data = stored(ctx, id, input);
    const now = new Date();
    const { set: clocks, unset } = ctx.expiry.stamp(input.cookie, now);
    // The user (UserKey) rides in the same write: no round trip of its own.
    const user = userFields(ctx.settings.userKey, input);
    const fields: Partial<SessionDocument> = { ...data.set, ...clocks, ...user.set, Written: now };
    refreshes?.cancel(id);
    const known = ctx.known.get(id);
    // Neither read, written nor made here: perhaps a session a 1.x process made since (see layout).
    const blind = !known && !made.take(id);
    // With UserKey, a session this process read, or saw go, is written back only where it
    // still is: one revoked and removed (or expired, or destroyed) while a request held it
    // stays gone. An ID express-session just made is new, whatever happened to it before.
    const create = !(ctx.settings.userKey && (known || (blind && ctx.gone.has(id))));
    let written = true;
    let inserted = false;
    try {
      await ordered(ctx, id, deadline, async () => {
        if (blind) await ctx.layout.probe(id);
        const fresh = known || !create ? null : ctx.layout.insert(id, { ...fields, Created: now });
        if (fresh && (inserted = await insertNew(ctx, fresh, deadline))) return;
        // Every field a set owns is set or unset, whatever this process last saw: another
        // process may have written it since, and the document must be this write's alone.
        const update = ctx.layout.write(id, fields, { ...unset, ...data.unset, ...user.unset });
        // Created: kept from the first write (not sent again where known); older documents get theirs now.
        if (!known?.created) update.$min = { Created: now };
        written = await upsert(ctx, id, update, deadline, data.sealed, create);
      });
    } catch (err) {
      throw explainWriteFailure(err, data.plain);
    }
    if (!written) {
      went(ctx, id);
      return input;
    }
    ctx.gone.forget(id);
    const absolute = inserted ? ctx.expiry.absolute({ Created: now }) : (known?.absolute ?? NaN);
    ctx.known.add(id, {
      deadline: ctx.expiry.deadlineAfter(fields, absolute),
      absolute,
      created: true,
      current: true,
    });
    ctx.throttle.remember(id, now.getTime());
    return input;
  }

  /** Sends a touch's `update`, stamped, to the session's document where `live` holds. */
  function renew(
    ctx: Context,
    id: string,
    update: UpdateFilter<SessionDocument>,
    live: Filter<SessionDocument>,
    stamp: Date,
    deadline: Deadline,
  ): Promise<UpdateResult> {
    const missed = (result: UpdateResult): boolean => result.matchedCount === 0;
    const send = (filter: Filter<SessionDocument>, written: Date): Promise<UpdateResult> => {
      (update.$set as Partial<SessionDocument>).Written = written;
      return ctx.sessions.updateOne(narrowed(filter, live), update, deadline.writeOptions());
    };
    return ordered(ctx, id, deadline, () => ctx.layout.lookup(id, (key) => fenced(ctx, key, stamp, deadline, send, missed), missed));
  }

  /**
   * Stores the renewed cookie and restarts the idle clock of a live session, in one write.
   * Its filter carries the liveness conditions unless this process knows the session lives
   * well past the time the write can take: FerretDB v1 serves only `{ _id }` from its
   * storage, and reads the whole collection for any other filter.
   */
  async function touch(sid: unknown, session: unknown, deadline: Deadline): Promise<void> {
    const id = checkSessionId(sid);
    const ctx = await context();
    // Seen gone, as a missing session is left alone: no round trip. express-session touches
    // only what its get found, which forgets it here.
    if (ctx.gone.has(id)) return;
    const now = Date.now();
    // A refresh the get before it left waiting is sent by this write instead.
    const takesOver = refreshes?.cancel(id) ?? false;
    if (!takesOver && ctx.throttle.recentlySeen(id, now)) return;
    const cookie = typeof session === 'object' && session !== null ? (session as SessionData).cookie : undefined;
    const { set: clocks, unset } = ctx.expiry.stamp(cookie, ctx.settings.timeToLive > 0 ? new Date(now) : null);
    // Nothing renews: a cookie that ends with the browser session, and no idle clock.
    if (clocks.Expires === undefined && clocks.LastAccessed === undefined) return;
    const known = ctx.known.get(id);
    const update: UpdateFilter<SessionDocument> = { $set: { ...clocks } };
    // Without a cookie to store, touch only restarts the idle clock.
    if (cookie !== undefined) {
      const renewed = renewedCookie(ctx, id, session as SessionData, known);
      Object.assign(update.$set!, renewed.set);
      const unsets: Record<string, ''> = { ...unset, ...renewed.unset };
      if (Object.keys(unsets).length > 0) update.$unset = unsets;
    }
    const surelyLive = known !== undefined && known.deadline - now > Math.max(ctx.settings.operationTimeoutMs, MIN_MARGIN_MS);
    const live = surelyLive ? {} : { ...NOT_FLAGGED, ...ctx.expiry.liveFilter(now) };
    if ((await renew(ctx, id, update, live, new Date(now), deadline)).matchedCount === 0) {
      went(ctx, id);
      return;
    }
    if (known) {
      const deadline = cookie === undefined ? NaN : ctx.expiry.deadlineAfter(clocks, known.absolute);
      // Written in this process's form now, whole or the cookie alone.
      ctx.known.add(id, { ...known, deadline, current: cookie === undefined ? known.current : true });
    }
    ctx.throttle.remember(id, now);
  }

  async function destroy(sid: unknown, deadline: Deadline): Promise<number | undefined> {
    const id = checkSessionId(sid);
    const ctx = await context();
    const stamp = new Date();
    refreshes?.cancel(id);
    ctx.throttle.forget(id);
    const wasGone = ctx.gone.has(id);
    went(ctx, id);
    if (ctx.settings.deleteFlags) return ordered(ctx, id, deadline, () => flagOne(ctx, id, deadline, stamp, wasGone));
    const missed = (result: DeleteResult): boolean => result.deletedCount === 0;
    const remove = (filter: Filter<SessionDocument>): Promise<DeleteResult> => ctx.sessions.deleteMany(filter, deadline.writeOptions());
    await ordered(ctx, id, deadline, () =>
      ctx.layout.lookup(id, (key) => fenced(ctx, key, stamp, deadline, remove, missed, wasGone), missed),
    );
    return undefined;
  }

  async function flag(sid: unknown, deadline: Deadline): Promise<number> {
    const id = sid === null ? null : checkSessionId(sid);
    const ctx = await context();
    if (id === null) return retryTransient(() => flagDeletion(ctx.sessions, null, deadline.writeOptions()), deadline);
    const wasGone = ctx.gone.has(id);
    went(ctx, id);
    return ordered(ctx, id, deadline, () => flagOne(ctx, id, deadline, new Date(), wasGone));
  }

  /**
   * Flags one session, counting what matched as 1.x did; a miss under `_id` looks again under
   * SessionID. `gone`: this process saw it go before (see fenced).
   */
  async function flagOne(ctx: Context, id: string, deadline: Deadline, stamp: Date, gone: boolean): Promise<number> {
    const missed = (result: UpdateResult): boolean => result.matchedCount === 0;
    const flag = (filter: Filter<SessionDocument>): Promise<UpdateResult> =>
      ctx.sessions.updateMany(filter, { $set: { Delete: true } }, deadline.writeOptions());
    const flagged = await ctx.layout.lookup(id, (key) => fenced(ctx, key, stamp, deadline, flag, missed, gone), missed);
    return flagged.matchedCount;
  }

  async function clear(deadline: Deadline): Promise<number | undefined> {
    const ctx = await context();
    if (ctx.settings.deleteFlags) return retryTransient(() => flagDeletion(ctx.sessions, null, deadline.writeOptions()), deadline);
    await retryTransient(() => ctx.sessions.deleteMany({}, deadline.writeOptions()), deadline);
    return undefined;
  }

  async function length(): Promise<number> {
    const ctx = await context();
    return retryTransient(() => ctx.sessions.countDocuments({ ...NOT_FLAGGED, ...ctx.expiry.liveFilter(Date.now()) }));
  }

  async function all(): Promise<ListedSession[]> {
    const ctx = await context();
    const docs = await retryTransient(() => ctx.sessions.find({ ...NOT_FLAGGED, ...ctx.expiry.liveFilter(Date.now()) }).toArray());
    // A session that does not open is left out, as `get` reads it as missing.
    return docs.flatMap((doc) => {
      const readable = opened(ctx, doc.SessionID, doc);
      return readable ? [{ ...toSession(ctx, readable), id: doc.SessionID }] : [];
    });
  }

  async function removeFlagged(deadline: Deadline): Promise<number> {
    const ctx = await context();
    return retryTransient(() => cleanup(ctx.sessions, deadline.writeOptions()), deadline);
  }

  return { get, set, touch, destroy, clear, length, all, flag, removeFlagged, stop: () => refreshes?.stop() };
}
