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
  /** True when `lastAccessed` (ms) is recent enough that no write is needed at `now`. */
  fresh(lastAccessed: number, now: number): boolean;
  /** True when this process saw the session's clock restarted recently enough. */
  recentlySeen(sid: string, now: number): boolean;
  remember(sid: string, lastAccessed: number): void;
  forget(sid: string): void;
}

export function touchThrottle(intervalSeconds: number, timeToLiveSeconds: number): TouchThrottle {
  const interval = intervalSeconds > 0 ? intervalSeconds * 1000 : Math.min(MIN_INTERVAL_MS, timeToLiveSeconds * 100);
  const seen = boundedMap<number>(MAX_ENTRIES);
  const fresh = (lastAccessed: number, now: number): boolean => interval > 0 && now - lastAccessed < interval;
  return {
    fresh,
    recentlySeen(sid, now) {
      const lastAccessed = seen.get(sid);
      return lastAccessed !== undefined && fresh(lastAccessed, now);
    },
    remember(sid, lastAccessed) {
      if (interval > 0) seen.set(sid, lastAccessed);
    },
    forget(sid) {
      seen.delete(sid);
    },
  };
}
