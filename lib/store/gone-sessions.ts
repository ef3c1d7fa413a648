import { boundedMap } from '../util/bounded-map';

/**
 * The sessions this process lately saw go: destroyed or flagged here, or read as missing,
 * flagged, ended or unreadable, and not read live or written since. express-session saves
 * a session at the end of every request that read it; a request that read one before it
 * went must not bring it back (with UserKey), and a stale ID replayed again and again costs
 * what a live one costs (see operations). The ID is all that is kept.
 */
export interface GoneSessions {
  has(sid: string): boolean;
  add(sid: string): void;
  /** Read live or written again. */
  forget(sid: string): void;
}

/** Enough for the requests in flight; the README states it. */
export const MAX_GONE = 10_000;

export function goneSessions(): GoneSessions {
  const gone = boundedMap<true>(MAX_GONE);
  return {
    has: (sid) => gone.get(sid) !== undefined,
    add: (sid) => gone.set(sid, true),
    forget: (sid) => gone.delete(sid),
  };
}
