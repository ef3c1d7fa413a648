import createDebug from 'debug';
import type { SessionData } from 'express-session';
import type createStoreTypes from '../../types';
import { NO_DEADLINE, type Deadline } from '../calls/deadline';
import { checkSessionId } from '../calls/session-id';
import { isFlagged, NOT_FLAGGED } from '../expiry/delete-flags';
import { idleRefreshes, type IdleRefreshes } from '../expiry/idle-refresh';
import type { SessionDocument } from '../stored/document';
import { sealedBytes } from '../stored/encryption';
import { retryTransient } from '../writes/retry';
import type { Context } from './context';
import { went, type Shared } from './session-state';
import { ordered } from './session-writes';
import { adoptedSession, listedId, opened, toSession } from './stored-form';

/** Reading sessions: `get`, which counts as access with TimeToLive, and `length` and `all`. */

type ListedSession = createStoreTypes.ListedSession;

const debug = createDebug('express-session-mongodb');
const MIN_REFRESH_MS = 1_000;

/** The refreshes of `LastAccessed` that reads leave waiting, made on first use. */
export interface Refreshes {
  of(ctx: Context): IdleRefreshes;
  cancel(id: string): boolean;
  stop(): void;
}

export function refreshes(): Refreshes {
  let made: IdleRefreshes | undefined;
  const of = (ctx: Context): IdleRefreshes =>
    (made ??= idleRefreshes(ctx.settings.timeToLive, (id, at) =>
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
  return { of, cancel: (id) => made?.cancel(id) ?? false, stop: () => made?.stop() };
}

/**
 * With TimeToLive, a read restarts the idle clock (soon: see idle-refresh), unless it was
 * restarted within a second (a set just before, say) or within TouchInterval by this process.
 */
function countAccess(pending: Refreshes, ctx: Context, id: string, doc: SessionDocument, now: number, ends: number): void {
  const ttl = ctx.settings.timeToLive * 1000;
  const last = doc.LastAccessed instanceof Date ? doc.LastAccessed.getTime() : -Infinity;
  if (ttl === 0 || now - last < Math.min(MIN_REFRESH_MS, ttl / 10) || ctx.throttle.recentlySeen(id, now)) return;
  ctx.throttle.remember(id, now);
  pending.of(ctx).schedule(id, now, ends);
}

export async function get(shared: Shared, pending: Refreshes, sid: unknown, deadline: Deadline): Promise<SessionData | null> {
  const id = checkSessionId(sid);
  const ctx = shared.current() ?? (await shared.context());
  const now = Date.now();
  // A miss under `_id` looks again under SessionID: a 1.x process may have made it.
  const doc = await retryTransient(() =>
    ctx.layout.lookup(
      id,
      (key) => ctx.sessions.findOne(key),
      (found) => found === null,
    ),
  );
  // As connect-mongo, `get` is emitted for a session found missing too (see docs/events.md).
  const missing = (): null => shared.events.after('get', deadline, id, went(ctx, id));
  if (doc === null || isFlagged(doc)) return missing();
  // Once per read: whether it lives, and what the process remembers of it.
  const ends = ctx.expiry.deadline(doc);
  if (ends <= now) return missing();
  const theirs = ctx.settings.adopt ? await adoptedSession(ctx, doc) : undefined;
  if (theirs === null) return missing();
  // Taken before opening, which replaces a sealed Data with its plaintext.
  const current = ctx.settings.encryption?.writes(sealedBytes(doc.Data)) ?? true;
  const readable = theirs ? doc : opened(ctx, id, doc);
  if (readable === null) return missing();
  ctx.gone.forget(id);
  ctx.known.add(id, {
    deadline: ends,
    absolute: ctx.expiry.absolute(doc),
    created: doc.Created instanceof Date,
    current,
  });
  countAccess(pending, ctx, id, doc, now, ends);
  return shared.events.after('get', deadline, id, theirs ?? toSession(ctx, readable));
}

export async function length(shared: Shared): Promise<number> {
  const ctx = await shared.context();
  return retryTransient(() => ctx.sessions.countDocuments({ ...NOT_FLAGGED, ...ctx.expiry.liveFilter(Date.now()) }));
}

export async function all(shared: Shared, deadline: Deadline): Promise<ListedSession[]> {
  const ctx = await shared.context();
  const docs = await retryTransient(() => ctx.sessions.find({ ...NOT_FLAGGED, ...ctx.expiry.liveFilter(Date.now()) }).toArray());
  // A session that does not open is left out, as `get` reads it as missing.
  const sessions = ctx.settings.adopt
    ? await allAdopted(ctx, docs)
    : docs.flatMap((doc) => {
        const readable = opened(ctx, doc.SessionID, doc);
        return readable ? [{ ...toSession(ctx, readable), id: doc.SessionID }] : [];
      });
  shared.events.emit('all', deadline, sessions);
  return sessions;
}

/** `all` with Adopt: connect-mongo's documents too, keyed by `_id` alone, theirs read where newer. */
async function allAdopted(ctx: Context, docs: SessionDocument[]): Promise<ListedSession[]> {
  const listed = await Promise.all(
    docs.map(async (doc) => {
      const id = listedId(doc);
      const theirs = await adoptedSession(ctx, doc);
      if (theirs !== undefined) return theirs ? [{ ...theirs, id }] : [];
      const readable = opened(ctx, id, doc);
      return readable ? [{ ...toSession(ctx, readable), id }] : [];
    }),
  );
  return listed.flat();
}
