import type { SessionData } from 'express-session';
import type { Deadline } from '../calls/deadline';
import { checkSessionId } from '../calls/session-id';
import { NO_FIELDS, theirFields } from '../stored/adopted';
import { explainWriteFailure } from '../stored/bson-limits';
import type { SessionDocument } from '../stored/document';
import type { Context } from './context';
import type { Known } from './known-sessions';
import { went, type Shared } from './session-state';
import { insertNew, ordered, upsert, type Written } from './session-writes';
import { stored } from './stored-form';
import { userFields } from './user-sessions';

/** `set`: a session written whole, as an insert where it is new, an upsert otherwise. */

function checkSession(session: unknown): SessionData {
  if (typeof session !== 'object' || session === null || Array.isArray(session)) {
    throw new TypeError(`Session must be an object, got ${session === null ? 'null' : Array.isArray(session) ? 'array' : typeof session}`);
  }
  return session as SessionData;
}

interface Write {
  fields: Partial<SessionDocument>;
  unset: Partial<Record<keyof SessionDocument, ''>>;
  sealed: boolean;
  known: Known | undefined;
  blind: boolean;
  create: boolean;
  /** Adopt: their fields only a new document gets (connect-mongo's `createdAt`). */
  created: { createdAt?: Date };
  /** Set by `send`: the session was new, and inserted. */
  inserted: boolean;
}

/**
 * A set's write, after the writes of its session before it: an insert where new (then
 * `write.inserted` is set), else an upsert. What the server did (see upsert); false when the
 * session was gone.
 */
function send(ctx: Context, id: string, deadline: Deadline, write: Write): Promise<Written> {
  const { fields, known, create } = write;
  // Every field a set owns is set or unset, whatever this process last saw: another
  // process may have written it since, and the document must be this write's alone.
  const update = (): Promise<Written> => {
    const change = ctx.layout.write(id, fields, write.unset);
    // Created: kept from the first write (not sent again where known); older documents get theirs now.
    if (!known?.created) change.$min = { Created: fields.Written };
    if (write.created.createdAt) change.$min = Object.assign(change.$min ?? {}, write.created);
    return upsert(ctx, id, change, deadline, write.sealed, create);
  };
  // A session this process knows: straight to the update, no async step of its own.
  if (known) return ordered(ctx, id, deadline, update);
  return ordered(ctx, id, deadline, async (): Promise<Written> => {
    if (write.blind) await ctx.layout.probe(id);
    const fresh = create ? ctx.layout.insert(id, Object.assign({}, fields, { Created: fields.Written }, write.created)) : null;
    if (fresh && (write.inserted = await insertNew(ctx, fresh, deadline))) return 'created';
    return update();
  });
}

export async function set(shared: Shared, sid: unknown, session: unknown, deadline: Deadline): Promise<SessionData> {
  const id = checkSessionId(sid);
  const input = checkSession(session);
  const ctx = shared.current() ?? (await shared.context());
  const data = stored(ctx, id, input);
  const now = new Date();
  const { set: clocks, unset } = ctx.expiry.stamp(input.cookie, now);
  // The user (UserKey) rides in the same write: no round trip of its own.
  const user = userFields(ctx.settings.userKey, input);
  // Adopt: connect-mongo's fields beside this store's, while its processes may read them.
  const theirs = ctx.settings.adopt ? await theirFields(ctx.settings.adopt, input, now) : NO_FIELDS;
  // Object.assign, not spreads: V8 gives a spread followed by a name its source lacks a slow
  // map transition, half a microsecond each (bench/cpu-profile.ts, issue 21).
  const fields: Partial<SessionDocument> = Object.assign({}, data.set, clocks, user.set, theirs.set);
  fields.Written = now;
  shared.refreshes.cancel(id);
  const known = ctx.known.get(id);
  // Neither read, written nor made here: perhaps a session a 1.x process made since (see layout).
  const blind = !known && !shared.made.take(id);
  // With UserKey, a session this process read, or saw go, is written back only where it
  // still is: one revoked and removed (or expired, or destroyed) while a request held it
  // stays gone. An ID express-session just made is new, whatever happened to it before.
  const create = !(ctx.settings.userKey && (known || (blind && ctx.gone.has(id))));
  const unsets = Object.assign({}, unset, data.unset, user.unset, theirs.unset);
  const write: Write = { fields, unset: unsets, sealed: data.sealed, known, blind, create, created: theirs.created, inserted: false };
  let written: Written;
  try {
    written = await send(ctx, id, deadline, write);
  } catch (err) {
    throw explainWriteFailure(err, data.plain);
  }
  if (!written) {
    went(ctx, id);
    return input;
  }
  ctx.gone.forget(id);
  const absolute = write.inserted ? ctx.expiry.absolute({ Created: now }) : (known?.absolute ?? NaN);
  ctx.known.add(id, {
    deadline: ctx.expiry.deadlineAfter(fields, absolute),
    absolute,
    created: true,
    current: true,
  });
  ctx.throttle.remember(id, now.getTime());
  shared.events.saved(id, written === 'created', deadline);
  return input;
}
