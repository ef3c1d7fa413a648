import { Store } from 'express-session';
import type { SessionData } from 'express-session';
import type { Db } from 'mongodb';
import type createStoreTypes from '../types';
import { callbackOrPromise, checkCallback, settle, type Callback } from './callback';
import { watchConnection } from './connection-events';
import { cleanup, flagDeletion, isFlagged, NOT_FLAGGED } from './delete-flags';
import { serverErrorCode, type SessionDocument } from './document';
import { resolveDb } from './handle';
import { checkDepth, explainWriteFailure } from './bson-limits';
import { checkData, escapeData, FILTER_VERSION, unescapeData, type Shape } from './key-filter';
import { DEFAULT_OPERATION_TIMEOUT_MS, readOptions, type Settings } from './options';
import { checkSessionId } from './session-id';
import { retryTransient } from './retry';
import { sanitizeError } from './server-errors';
import { withTimeout } from './timeout';
import { writeOrder } from './write-order';
import { prepare, type Context } from './setup';

type SessionStore = createStoreTypes.SessionStore;
type ListedSession = createStoreTypes.ListedSession;

const DUPLICATE_KEY = 11000;

function checkSession(session: unknown): SessionData {
  if (typeof session !== 'object' || session === null || Array.isArray(session)) {
    throw new TypeError(`Session must be an object, got ${session === null ? 'null' : Array.isArray(session) ? 'array' : typeof session}`);
  }
  return session as SessionData;
}

/**
 * Builds the store: an express-session `Store` whose methods are closures over the
 * collection. Callable with or without `new`; returns the store at once and calls
 * `callback(err, store)` once the collection and its indexes exist.
 */
export function createStore(handle: unknown, callback?: Callback<SessionStore> | null, options?: createStoreTypes.Options): SessionStore {
  checkCallback(callback, 'createStore');
  // The typings call Store abstract; at run time it is the plain constructor express-session subclasses.
  const store = new (Store as unknown as new () => Store)() as SessionStore;

  // Checked now, reported through the callback: the store must exist either way.
  let settings: Settings | undefined;
  let db: Db | undefined;
  let invalid: unknown;
  try {
    settings = readOptions(options);
    db = resolveDb(handle);
  } catch (err) {
    invalid = err;
  }
  const timeoutMs = settings?.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  const unwatch = db ? watchConnection(db.client, store) : () => {};
  let closed = false;

  function start(reconnect = false): Promise<Context> {
    let attempt: Promise<Context>;
    if (invalid !== undefined) attempt = Promise.reject(invalid);
    // A client whose first connection failed stays closed until connected again; connect()
    // does nothing to one that is open.
    else if (reconnect) attempt = db!.client.connect().then(() => prepare(db!, settings!));
    else attempt = prepare(db!, settings!);
    // Failures reach the callback and every later call; none is left unhandled.
    attempt.catch(() => {});
    return attempt;
  }
  let preparing = start();

  async function context(): Promise<Context> {
    const attempt = preparing;
    let ctx: Context;
    try {
      ctx = await attempt;
    } catch (err) {
      if (invalid !== undefined || closed) throw err;
      // The server was out of reach when the store was made: try again, once for all callers.
      // Not a client the application closed itself, though: that one stays closed.
      if (preparing === attempt) preparing = start((err as Error).name !== 'MongoNotConnectedError');
      ctx = await preparing;
    }
    if (closed) throw new Error('The session store is closed');
    return ctx;
  }

  function toSession(ctx: Context, doc: SessionDocument): SessionData {
    const data = ctx.settings.filter ? unescapeData(doc.Data, doc.FilterVersion !== FILTER_VERSION) : doc.Data;
    if (typeof data !== 'object' || data === null) {
      throw new TypeError('A stored session has no session object in Data');
    }
    return data as SessionData;
  }

  /**
   * The session's document if it is live. With TimeToLive, the read also restarts the idle
   * clock in the same round trip, as 1.x's did, unless TouchInterval says this process
   * restarted it recently.
   */
  async function liveDocument(ctx: Context, id: string, readData: boolean): Promise<SessionDocument | null> {
    const now = Date.now();
    const key = ctx.layout.key(id);
    const refresh = ctx.settings.timeToLive > 0 && !ctx.throttle.recentlySeen(id, now);
    if (!refresh && !readData) return null;
    // Remembered before the write, so reads of the session meanwhile do not send their own.
    if (refresh) ctx.throttle.remember(id, now);
    let doc: SessionDocument | null;
    try {
      doc = refresh
        ? await ctx.sessions.findOneAndUpdate(key, { $set: { LastAccessed: new Date(now) } }, { includeResultMetadata: false })
        : await ctx.sessions.findOne(key);
    } catch (err) {
      if (refresh) ctx.throttle.forget(id);
      throw err;
    }
    if (doc === null || isFlagged(doc)) {
      if (refresh) ctx.throttle.forget(id);
      return null;
    }
    if (ctx.expiry.isExpired(doc, now)) {
      // A refresh just revived it; remove it as the TTL monitor would have.
      ctx.throttle.forget(id);
      await ctx.sessions.deleteMany(key);
      return null;
    }
    return doc;
  }

  async function read(sid: unknown): Promise<SessionData | null> {
    const id = checkSessionId(sid);
    const ctx = await context();
    const doc = await liveDocument(ctx, id, true);
    if (doc === null) {
      ctx.known.forget(id);
      return null;
    }
    ctx.known.add(id);
    return toSession(ctx, doc);
  }

  async function write(sid: unknown, session: unknown): Promise<SessionData> {
    const id = checkSessionId(sid);
    const data = checkSession(session);
    const ctx = await context();
    const shape: Shape = { depth: 0 };
    const fields: Partial<SessionDocument> = { LastAccessed: new Date() };
    const unset: Partial<Record<keyof SessionDocument, ''>> = {};
    if (ctx.settings.filter) {
      fields.Data = escapeData(data, shape);
      fields.FilterVersion = FILTER_VERSION;
    } else {
      checkData(data, shape);
      fields.Data = data;
      unset.FilterVersion = '';
    }
    checkDepth(shape);
    const send = () => ctx.sessions.updateOne(ctx.layout.key(id), ctx.layout.write(id, fields, unset), { upsert: true });
    const upsert = async (): Promise<void> => {
      try {
        await send();
      } catch (err) {
        // Two racing upserts of a new session: the loser retries and finds the winner's document.
        if (serverErrorCode(err) !== DUPLICATE_KEY) throw err;
        await send();
      }
    };
    const fresh = ctx.known.has(id) ? null : ctx.layout.insert(id, fields);
    try {
      if (!fresh || !(await insertNew(ctx, fresh))) await upsert();
    } catch (err) {
      throw explainWriteFailure(err, fields.Data);
    }
    ctx.known.add(id);
    ctx.throttle.remember(id, fields.LastAccessed!.getTime());
    return data;
  }

  /** Inserts a session believed new; false when it exists after all. */
  async function insertNew(ctx: Context, doc: SessionDocument): Promise<boolean> {
    try {
      await ctx.sessions.insertOne(doc);
      return true;
    } catch (err) {
      if (serverErrorCode(err) === DUPLICATE_KEY) return false;
      throw err;
    }
  }

  async function touch(sid: unknown): Promise<void> {
    const id = checkSessionId(sid);
    const ctx = await context();
    await liveDocument(ctx, id, false);
  }

  async function flag(sid: unknown): Promise<number> {
    const id = sid === null ? null : checkSessionId(sid);
    const ctx = await context();
    return flagDeletion(ctx.sessions, id === null ? null : ctx.layout.key(id));
  }

  async function destroy(sid: unknown): Promise<void> {
    const id = checkSessionId(sid);
    const ctx = await context();
    ctx.throttle.forget(id);
    ctx.known.forget(id);
    if (ctx.settings.deleteFlags) await flagDeletion(ctx.sessions, ctx.layout.key(id));
    else await ctx.sessions.deleteMany(ctx.layout.key(id));
  }

  async function clear(): Promise<void> {
    const ctx = await context();
    if (ctx.settings.deleteFlags) await flagDeletion(ctx.sessions, null);
    else await ctx.sessions.deleteMany({});
  }

  async function count(): Promise<number> {
    const ctx = await context();
    return ctx.sessions.countDocuments({ ...NOT_FLAGGED, ...ctx.expiry.liveFilter(Date.now()) });
  }

  async function list(): Promise<ListedSession[]> {
    const ctx = await context();
    const docs = await ctx.sessions.find({ ...NOT_FLAGGED, ...ctx.expiry.liveFilter(Date.now()) }).toArray();
    return docs.map((doc) => ({ ...toSession(ctx, doc), id: doc.SessionID }));
  }

  async function removeFlagged(): Promise<number> {
    return cleanup((await context()).sessions);
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    unwatch();
    const ctx = await preparing.catch(() => null);
    ctx?.expiry.stop();
  }

  const inOrder = writeOrder();

  /**
   * A public method: retried over passing refusals, bounded by OperationTimeoutMS, with a
   * callback or a promise. `ordered`: it writes the session named by its first argument.
   */
  function method<A extends unknown[], T>(name: string, run: (...args: A) => Promise<T>, arity: number, ordered = false) {
    return callbackOrPromise(
      name,
      (...args: A) => {
        const attempt = () => retryTransient(() => run(...args)).catch((err: unknown) => Promise.reject(sanitizeError(err, name)));
        return withTimeout(ordered ? inOrder(args[0], attempt) : attempt(), timeoutMs, `Session store ${name}`);
      },
      arity,
    );
  }

  Object.assign(store, {
    get: method('get', read, 1),
    set: method('set', write, 2, true),
    touch: method('touch', touch, 2),
    destroy: method('destroy', destroy, 1, true),
    length: method('length', count, 0),
    all: method('all', list, 0),
    clear: method('clear', clear, 0),
    FlagDeletion: method('FlagDeletion', flag, 1, true),
    Cleanup: method('Cleanup', removeFlagged, 0),
    close: callbackOrPromise('close', close, 0),
    ready: () => withTimeout(context(), timeoutMs, 'Session store ready').then(() => store),
  });

  if (callback)
    settle(
      withTimeout(preparing, timeoutMs, 'createStore').then(() => store),
      callback,
    );
  return store;
}
