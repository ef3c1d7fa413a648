import type { SessionData } from 'express-session';
import type { Filter, UpdateFilter, UpdateResult } from 'mongodb';
import type { Deadline } from '../calls/deadline';
import { checkSessionId } from '../calls/session-id';
import { NOT_FLAGGED } from '../expiry/delete-flags';
import type { SessionDocument } from '../stored/document';
import { narrowed } from '../writes/layout';
import type { Context } from './context';
import { went, type Shared } from './session-state';
import { fenced, ordered } from './session-writes';
import { renewedCookie } from './stored-form';

/** `touch`: the renewed cookie and the idle clock of a live session, in one write. */

/** The least time left for a touch to go without the liveness conditions (OperationTimeoutMS 0). */
const MIN_MARGIN_MS = 10_000;

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
export async function touch(shared: Shared, sid: unknown, session: unknown, deadline: Deadline): Promise<void> {
  const id = checkSessionId(sid);
  const ctx = shared.current() ?? (await shared.context());
  // Seen gone, as a missing session is left alone: no round trip. express-session touches
  // only what its get found, which forgets it here.
  if (ctx.gone.has(id)) return;
  const now = Date.now();
  // A refresh the get before it left waiting is sent by this write instead.
  const takesOver = shared.refreshes.cancel(id);
  if (!takesOver && ctx.throttle.recentlySeen(id, now)) return;
  const cookie = typeof session === 'object' && session !== null ? (session as SessionData).cookie : undefined;
  const { set: clocks, unset } = ctx.expiry.stamp(cookie, ctx.settings.timeToLive > 0 ? new Date(now) : null);
  // Nothing renews: a cookie that ends with the browser session, and no idle clock.
  if (clocks[ctx.expiry.cookieField] === undefined && clocks.LastAccessed === undefined) return;
  const known = ctx.known.get(id);
  const update: UpdateFilter<SessionDocument> = { $set: { ...clocks } };
  // Without a cookie to store, touch only restarts the idle clock.
  if (cookie !== undefined) {
    const renewed = renewedCookie(ctx, id, session as SessionData, known);
    Object.assign(update.$set!, renewed.set);
    const unsets: Record<string, ''> = Object.assign({}, unset, renewed.unset);
    if (Object.keys(unsets).length > 0) update.$unset = unsets;
  }
  const surelyLive = known !== undefined && known.deadline - now > Math.max(ctx.settings.operationTimeoutMs, MIN_MARGIN_MS);
  // Object.assign, not spreads: see upsertOf in layout.
  const live = surelyLive ? {} : Object.assign({}, NOT_FLAGGED, ctx.expiry.liveFilter(now));
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
  shared.events.emit('touch', deadline, id, session as SessionData | undefined);
}
