import type { EventEmitter } from 'node:events';
import type createStoreTypes from '../../types';
import type { Deadline } from '../calls/deadline';

/**
 * The session events connect-mongo 6 emits (`create`, `update`, `set`, `touch`, `destroy`,
 * `get`, `all`), plus `revoke`: so that code listening to a connect-mongo store keeps working
 * here. See docs/events.md for what each means.
 */

type EventMap = createStoreTypes.StoreEvents;

export interface SessionEvents {
  /**
   * Emits `name(...args)` once the call's write or read was acknowledged, unless the caller
   * was told it timed out (`deadline`): a listener hears only of what its caller was told
   * succeeded. Costs one `listenerCount` when nobody listens.
   */
  emit<K extends keyof EventMap>(name: K, deadline: Deadline, ...args: EventMap[K]): void;
  /** Emits `name(sid)` and hands back `result`: `return events.after('get', deadline, id, session)`. */
  after<T>(name: 'get' | 'destroy', deadline: Deadline, sid: string, result: T): T;
  /** `create` or `update`, then `set`: a set that stored the session. */
  saved(sid: string, created: boolean, deadline: Deadline): void;
}

/** Events of `store`; `events.emit` never throws into the operation that emits. */
export function storeEvents(store: EventEmitter): SessionEvents {
  function emit<K extends keyof EventMap>(name: K, deadline: Deadline, ...args: EventMap[K]): void {
    if (store.listenerCount(name) === 0 || deadline.timedOut()) return;
    try {
      store.emit(name, ...args);
    } catch (err) {
      // Inline, as connect-mongo emits (before the callback and before the promise settles),
      // but a throwing listener does not reach the operation: the write it reports stands,
      // and turning it into the call's error (as connect-mongo does) would tell the caller
      // that a stored session failed. Thrown on its own tick instead, as an uncaught
      // exception, as a throwing callback is (see calls/callback): the listener's bug shows.
      process.nextTick(() => {
        throw err;
      });
    }
  }
  return {
    emit,
    after(name, deadline, sid, result) {
      emit(name, deadline, sid);
      return result;
    },
    saved(sid, created, deadline) {
      emit(created ? 'create' : 'update', deadline, sid);
      emit('set', deadline, sid);
    },
  };
}
