import type createStoreTypes from '../types';
import { callbackOrPromise, checkCallback, type Callback } from './calls/callback';
import { watchConnection } from './calls/connection-events';
import { resolveHandle, type Handle } from './calls/handle';
import { DEFAULT_OPERATION_TIMEOUT_MS, readOptions, type Settings } from './calls/options';
import { publicMethods } from './calls/public-method';
import { storeFor } from './calls/store-prototype';
import { storeEvents } from './store/events';
import { lifecycle } from './store/lifecycle';
import { watchMadeSessions } from './store/made-sessions';
import { sessionOperations } from './store/operations';
import { userOperations } from './store/user-sessions';

type SessionStore = createStoreTypes.SessionStore;

/**
 * The options and the handle, checked now and reported through the callback (and every
 * call): the store must exist either way.
 */
function readArguments(handle: unknown, options: unknown): { settings?: Settings; resolved?: Handle; invalid?: unknown } {
  let settings: Settings | undefined;
  try {
    settings = readOptions(options);
    return { settings, resolved: resolveHandle(handle) };
  } catch (err) {
    return { settings, invalid: err };
  }
}

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

  const { settings, resolved, invalid } = readArguments(handle, options);
  const client = resolved?.client;
  const { bounded, method } = publicMethods(settings?.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS, client);
  const unwatch = client ? watchConnection(client, store) : () => {};
  const life = lifecycle(resolved, settings, invalid);
  const events = storeEvents(store);
  const ops = sessionOperations(life.context, watchMadeSessions(store), events, life.current);
  const users = userOperations(life.context, events);

  async function close(): Promise<void> {
    unwatch();
    ops.stop();
    life.close();
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
