import { boundedMap } from '../util/bounded-map';

/**
 * The `TouchInterval` option: remembering when this process last wrote (or scheduled) a
 * session's `LastAccessed` and cookie lets `get` and `touch` skip the write until it is
 * `TouchInterval` old, so the stored expiry lags by at most that much. `0` remembers
 * nothing: every access and every renewed cookie is stored.
 */

const MAX_ENTRIES = 10_000;

export interface TouchThrottle {
  /** True when this process stored the session's clocks less than TouchInterval ago. */
  recentlySeen(sid: string, now: number): boolean;
  remember(sid: string, at: number): void;
  forget(sid: string): void;
}

export function touchThrottle(intervalSeconds: number): TouchThrottle {
  const interval = intervalSeconds * 1000;
  const seen = boundedMap<number>(MAX_ENTRIES);
  return {
    recentlySeen(sid, now) {
      const at = seen.get(sid);
      return at !== undefined && now - at < interval;
    },
    remember(sid, at) {
      if (interval > 0) seen.set(sid, at);
    },
    forget(sid) {
      seen.delete(sid);
    },
  };
}
