import type createStoreTypes from '../types';
import { callbackOrPromise, checkCallback, type Callback } from './callback';
import { watchConnection } from './connection-events';
import { deadline, type Deadline } from './deadline';
import { resolveHandle, type Handle } from './handle';
import { lifecycle } from './lifecycle';
import { watchMadeSessions } from './made-sessions';
import { storeFor } from './store-prototype';
import { sessionOperations } from './operations';
import { DEFAULT_OPERATION_TIMEOUT_MS, readOptions, type Settings } from './options';
import { sanitizeError } from './server-errors';
import { userOperations } from './user-sessions';
import { withTimeout } from './timeout';

type SessionStore = createStoreTypes.SessionStore;

/**
 * Builds the store: an express-session `Store` whose methods are closures over the
 * collection. Callable with or without `new`; returns the store at once and calls
 * `callback(err, store)` once the collection and its indexes exist.
 */
export function createStore(
  this: unknown,
  handle: unknown,
  callback?: Callback<SessionStore> | null,
  options?: createStoreTypes.Options,
): SessionStore {
  checkCallback(callback, 'createStore');
  const store = storeFor(this) as SessionStore;

  // Checked now, reported through the callback: the store must exist either way.
  let settings: Settings | undefined;
  let resolved: Handle | undefined;
  let invalid: unknown;
  try {
    settings = readOptions(options);
    resolved = resolveHandle(handle);
  } catch (err) {
    invalid = err;
  }
  const timeoutMs = settings?.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  const client = resolved?.client;
  const unwatch = client ? watchConnection(client, store) : () => {};
  const life = lifecycle(resolved, settings, invalid);
  const ops = sessionOperations(life.context, watchMadeSessions(store));
  const users = userOperations(life.context);

  async function close(): Promise<void> {
    unwatch();
    ops.stop();
    life.close();
  }

  /**
   * Bounded by OperationTimeoutMS, which also ends what the call still had to write; server
   * messages, which can quote session data, give way to the store's own.
   */
  function bounded<T>(promise: Promise<T>, name: string, what = `Session store ${name}`, limit?: Deadline): Promise<T> {
    const guarded = promise.catch((err: unknown) => Promise.reject(sanitizeError(err, name)));
    return withTimeout(guarded, timeoutMs, what, client, limit?.abandon);
  }

  /** A public method, with a callback or a promise; `run` gets the caller's arguments, then the call's deadline. */
  function method<A extends unknown[], T>(name: string, run: (...args: [...A, Deadline]) => Promise<T>, arity: number) {
    return callbackOrPromise(
      name,
      (...args: A) => {
        const limit = deadline(timeoutMs);
        // touch(sid) still hands touch its deadline third.
        while (args.length < arity) args.push(undefined);
        return bounded(run(...args, limit), name, undefined, limit);
      },
      arity,
    );
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
    UserSessions: method('UserSessions', users.list, 1),
    FlagUserSessions: method('FlagUserSessions', users.flag, 2),
    close: callbackOrPromise('close', close, 0),
    ready: () => bounded(life.context(), 'ready').then(() => store),
  });

  // As 1.x: the store comes back as the second argument, on success and on error alike.
  if (callback)
    bounded(life.started, 'createStore', 'createStore').then(
      () => process.nextTick(callback, null, store),
      (err: unknown) => process.nextTick(callback, err as Error, store),
    );
  return store;
}
