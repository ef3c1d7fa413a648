import { boundedMap } from './bounded-map';

/**
 * The sessions this process has lately found or written. express-session calls `set`
 * without a `get` before it only for a session it has just made, so a `set` of any other
 * ID is sent as an insert: servers take one without first looking the key up (FerretDB v1
 * scans its table for an upsert's key), and an ID that exists after all costs an upsert more.
 */
export interface KnownSessions {
  has(sid: string): boolean;
  add(sid: string): void;
  forget(sid: string): void;
}

const MAX_ENTRIES = 10_000;

export function knownSessions(): KnownSessions {
  const known = boundedMap<true>(MAX_ENTRIES);
  return {
    has: (sid) => known.get(sid) === true,
    add: (sid) => known.set(sid, true),
    forget: (sid) => known.delete(sid),
  };
}
