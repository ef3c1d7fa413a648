import type { Filter, UpdateFilter, UpdateResult } from 'mongodb';
import type { Deadline } from '../calls/deadline';
import { serverErrorCode, type SessionDocument } from '../stored/document';
import { unskippable } from '../writes/renamed-set';
import { retryTransient } from '../writes/retry';
import type { Context } from './context';
import { after } from '../writes/write-fence';

/**
 * How a write of one session goes out: after the earlier writes of that session (write-order),
 * retried over passing refusals, under the write fence, as an insert for a session believed
 * new or an upsert otherwise.
 */

const DUPLICATE_KEY = 11000;

/** What an upsert did, as the server acknowledged it: made the document, replaced it, or found none (false). */
export type Written = 'created' | 'updated' | false;

const outcome = (result: UpdateResult): Written => (result.upsertedCount > 0 ? 'created' : result.matchedCount > 0 ? 'updated' : false);

/**
 * An ordered write of one session, retried over passing refusals; dropped, not sent, when its
 * caller was told it timed out while it waited for the writes before it.
 */
export function ordered<T>(ctx: Context, id: string, deadline: Deadline, send: () => Promise<T>): Promise<T> {
  return ctx.inOrder(id, () => {
    deadline.check();
    return retryTransient(send, deadline);
  });
}

/**
 * A write of one session under the write fence (see write-fence): refused by a later stamp
 * while its caller still waits, it goes once more against exactly the document it found.
 * `send` writes `written` as the session's stamp where it stamps at all.
 *
 * `unfenced`: a destroy or flag of a session this process saw go. Any document of it now was
 * written after it went, bringing back a session that was gone, and the destroy ends it all
 * the same: so it goes on the key alone, one round trip where a fenced miss costs a read more
 * (a replayed stale cookie). One that lands late ends a session that should have stayed gone.
 */
export async function fenced<R>(
  ctx: Context,
  key: Filter<SessionDocument>,
  stamp: Date,
  deadline: Deadline,
  send: (filter: Filter<SessionDocument>, written: Date) => Promise<R>,
  missed: (result: R) => boolean,
  unfenced = false,
): Promise<R> {
  if (unfenced) return send(key, stamp);
  const result = await send(ctx.fence.guard(key, stamp), stamp);
  if (!missed(result)) return result;
  const found = await ctx.fence.refusal(key, stamp, deadline);
  return found ? send({ ...key, Written: found }, after(found, stamp)) : result;
}

/** Inserts a session believed new; false when it exists after all. */
export async function insertNew(ctx: Context, doc: SessionDocument, deadline: Deadline): Promise<boolean> {
  try {
    await ctx.sessions.insertOne(doc, deadline.writeOptions());
    return true;
  } catch (err) {
    if (serverErrorCode(err) === DUPLICATE_KEY) return false;
    throw err;
  }
}

/**
 * Upserts `update` (stamped `Written`) under the write fence, in one update on every server:
 * on FerretDB v1 in a form it cannot skip (see renamed-set), unless `sealed` (a fresh IV
 * changes every sealed `Data`, which it then never skips). With `create` false, updates only,
 * and resolves false when there is no document to write.
 */
export function upsert(
  ctx: Context,
  id: string,
  update: UpdateFilter<SessionDocument>,
  deadline: Deadline,
  sealed: boolean,
  create: boolean,
): Promise<Written> {
  const fields = update.$set as Partial<SessionDocument>;
  if (ctx.limits.skipsRenames && !sealed) unskippable(update);
  const sendRaw = (filter: Filter<SessionDocument>) =>
    ctx.sessions.updateOne(filter, update, Object.assign({ upsert: create }, deadline.writeOptions()));
  const send = (filter: Filter<SessionDocument>): Promise<Written> => sendRaw(filter).then(outcome);
  const key = ctx.layout.key(id);
  // Not async, and one `then`: the write that lands at once, nearly every one, pays no promise more.
  return sendRaw(ctx.fence.guard(key, fields.Written!)).then(
    (result) => outcome(result) || afterMiss(ctx, id, key, fields, deadline, send, undefined),
    (err: unknown) => {
      if (serverErrorCode(err) !== DUPLICATE_KEY) throw err;
      return afterMiss(ctx, id, key, fields, deadline, send, err);
    },
  );
}

/** A fenced upsert that matched nothing, or (`duplicate`) failed with a duplicate key. */
async function afterMiss(
  ctx: Context,
  id: string,
  key: Filter<SessionDocument>,
  fields: Partial<SessionDocument>,
  deadline: Deadline,
  send: (filter: Filter<SessionDocument>) => Promise<Written>,
  duplicate: unknown,
): Promise<Written> {
  const stamp = fields.Written!;
  // Refused by a later stamp (an upsert then tried to insert): once more against that document.
  const found = await ctx.fence.refusal(key, stamp, deadline);
  if (found) return overtake(key, found, fields, send);
  // Not created, and nothing matched: the document is gone.
  if (duplicate === undefined) return false;
  // Two racing upserts of a new session: the loser retries and finds the winner's document.
  // A duplicate SessionID under the `_id` key: a 1.x document exists, now found by SessionID.
  await ctx.layout.adoptDuplicate(duplicate, ctx.sessions, id);
  return send(ctx.fence.guard(ctx.layout.key(id), stamp));
}

/** The second try of a refused upsert; refused again, a newer write came in between and stands. */
async function overtake(
  key: Filter<SessionDocument>,
  found: Date,
  fields: Partial<SessionDocument>,
  send: (filter: Filter<SessionDocument>) => Promise<Written>,
): Promise<Written> {
  fields.Written = after(found, fields.Written!);
  try {
    return await send({ ...key, Written: found });
  } catch (err) {
    if (serverErrorCode(err) !== DUPLICATE_KEY) throw err;
    // The newer write made the document: this one replaced nothing, and is not a creation.
    return 'updated';
  }
}
