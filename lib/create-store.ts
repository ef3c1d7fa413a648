import type { Db } from 'mongodb';
import type createStoreTypes from '../types';
import { callbackOrPromise, checkCallback, type Callback } from './callback';
import { watchConnection } from './connection-events';
import { resolveDb } from './handle';
import { lifecycle } from './lifecycle';
import { StoreBase } from './store-prototype';
import { sessionOperations } from './operations';
import { DEFAULT_OPERATION_TIMEOUT_MS, readOptions, type Settings } from './options';
import { sanitizeError } from './server-errors';
import { withTimeout } from './timeout';

type SessionStore = createStoreTypes.SessionStore;

/**
 * Builds the store: an express-session `Store` whose methods are closures over the
 * collection. Callable with or without `new`; returns the store at once and calls
 * `callback(err, store)` once the collection and its indexes exist.
 */
export function createStore(handle: unknown, callback?: Callback<SessionStore> | null, options?: createStoreTypes.Options): SessionStore {
  checkCallback(callback, 'createStore');
  const store = new StoreBase() as SessionStore;

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
  const life = lifecycle(db, settings, invalid);
  const ops = sessionOperations(life.context);

  async function close(): Promise<void> {
    unwatch();
    ops.stop();
    life.close();
  }

  /** A public method: bounded by OperationTimeoutMS, with a callback or a promise. */
  function method<A extends unknown[], T>(name: string, run: (...args: A) => Promise<T>, arity: number) {
    // Server messages can quote session data: callers get the store's own error instead.
    const guarded = (...args: A) => run(...args).catch((err: unknown) => Promise.reject(sanitizeError(err, name)));
    return callbackOrPromise(name, (...args: A) => withTimeout(guarded(...args), timeoutMs, `Session store ${name}`, db?.client), arity);
  }

  Object.assign(store, {
    get: method('get', ops.get, 1),
    set: method('set', ops.set, 2),
    touch: method('touch', ops.touch, 2),
    destroy: method('destroy', ops.destroy, 1),
    length: method('length', ops.length, 0),
    all: method('all', ops.all, 0),
    clear: method('clear', ops.clear, 0),
    FlagDeletion: method('FlagDeletion', ops.flag, 1),
    Cleanup: method('Cleanup', ops.removeFlagged, 0),
    close: callbackOrPromise('close', close, 0),
    ready: () =>
      withTimeout(life.context(), timeoutMs, 'Session store ready', db?.client).then(
        () => store,
        (err: unknown) => Promise.reject(sanitizeError(err, 'ready')),
      ),
  });

  // As 1.x: the store comes back as the second argument, on success and on error alike.
  if (callback)
    withTimeout(life.started, timeoutMs, 'createStore', db?.client).then(
      () => process.nextTick(callback, null, store),
      (err: unknown) => process.nextTick(callback, sanitizeError(err, 'createStore') as Error, store),
    );
  return store;
}
