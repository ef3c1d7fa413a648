import type { DeleteResult, Filter, UpdateResult } from 'mongodb';
import type { Deadline } from '../calls/deadline';
import { checkSessionId } from '../calls/session-id';
import { cleanup, flagDeletion } from '../expiry/delete-flags';
import type { SessionDocument } from '../stored/document';
import { retryTransient } from '../writes/retry';
import type { Context } from './context';
import { went, type Shared } from './session-state';
import { fenced, ordered } from './session-writes';

/** Ending sessions: `destroy`, `FlagDeletion`, `clear` and `Cleanup`. */

export async function destroy(shared: Shared, sid: unknown, deadline: Deadline): Promise<number | undefined> {
  const id = checkSessionId(sid);
  const ctx = await shared.context();
  const stamp = new Date();
  shared.refreshes.cancel(id);
  ctx.throttle.forget(id);
  const wasGone = ctx.gone.has(id);
  went(ctx, id);
  // As connect-mongo, `destroy` is emitted when nothing was there too; with DeleteFlags, once flagged.
  if (ctx.settings.deleteFlags)
    return shared.events.after('destroy', deadline, id, await ordered(ctx, id, deadline, () => flagOne(ctx, id, deadline, stamp, wasGone)));
  const missed = (result: DeleteResult): boolean => result.deletedCount === 0;
  const remove = (filter: Filter<SessionDocument>): Promise<DeleteResult> => ctx.sessions.deleteMany(filter, deadline.writeOptions());
  await ordered(ctx, id, deadline, () =>
    ctx.layout.lookup(id, (key) => fenced(ctx, key, stamp, deadline, remove, missed, wasGone), missed),
  );
  return shared.events.after('destroy', deadline, id, undefined);
}

export async function flag(shared: Shared, sid: unknown, deadline: Deadline): Promise<number> {
  const id = sid === null ? null : checkSessionId(sid);
  const ctx = await shared.context();
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

export async function clear(shared: Shared, deadline: Deadline): Promise<number | undefined> {
  const ctx = await shared.context();
  if (ctx.settings.deleteFlags) return retryTransient(() => flagDeletion(ctx.sessions, null, deadline.writeOptions()), deadline);
  await retryTransient(() => ctx.sessions.deleteMany({}, deadline.writeOptions()), deadline);
  return undefined;
}

export async function removeFlagged(shared: Shared, deadline: Deadline): Promise<number> {
  const ctx = await shared.context();
  return retryTransient(() => cleanup(ctx.sessions, deadline.writeOptions()), deadline);
}
