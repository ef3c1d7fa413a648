import { boundedMap } from './bounded-map';

/**
 * The `TouchInterval` option: with `TimeToLive`, 1.x rewrote `LastAccessed` on every read.
 * Remembering when this process last saw or wrote a session's `LastAccessed` lets `get` and
 * `touch` skip the write until it is `TouchInterval` old, so expiry can come at most that
 * much early.
 */

const MAX_ENTRIES = 10_000;
/**
 * With TouchInterval 0, reads still skip a rewrite within this long of the last one (and a
 * tenth of TimeToLive at most): express-session touches right after every get, and 1.x,
 * which had no touch, wrote once per read.
 */
const MIN_INTERVAL_MS = 1_000;

export interface TouchThrottle {
  /** True when this process saw the session's clock restarted recently enough. */
  recentlySeen(sid: string, now: number): boolean;
  remember(sid: string, lastAccessed: number): void;
  forget(sid: string): void;
}

export function touchThrottle(intervalSeconds: number, timeToLiveSeconds: number): TouchThrottle {
  const interval = intervalSeconds > 0 ? intervalSeconds * 1000 : Math.min(MIN_INTERVAL_MS, timeToLiveSeconds * 100);
  const seen = boundedMap<number>(MAX_ENTRIES);
  return {
    recentlySeen(sid, now) {
      const lastAccessed = seen.get(sid);
      // Nothing is remembered with an interval of 0.
      return lastAccessed !== undefined && now - lastAccessed < interval;
    },
    remember(sid, lastAccessed) {
      if (interval > 0) seen.set(sid, lastAccessed);
    },
    forget(sid) {
      seen.delete(sid);
    },
  };
}
