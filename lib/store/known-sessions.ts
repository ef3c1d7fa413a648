import { boundedMap } from '../util/bounded-map';

/**
 * The sessions this process has lately found or written, with when they end as far as it
 * knows. express-session calls `set` without a `get` before it only for a session it has
 * just made, so a `set` of any other ID is sent as an insert: servers take one without first
 * looking the key up (FerretDB v1 scans its table for an upsert's key), and an ID that exists
 * after all costs an upsert more. `touch` uses the deadline: see operations.
 */
export interface Known {
  /** When the session ends, in ms since the epoch (Infinity: never; NaN: not known). */
  deadline: number;
  /** When `MaxLifetime` ends it (Infinity: never; NaN: not known). */
  absolute: number;
  /** Whether its document holds `Created`: a write then need not set it. */
  created: boolean;
  /**
   * Whether its `Data` is in the form this process writes (with EncryptionKeys: sealed by the
   * first key, or plaintext after a leading null): a touch then writes only the cookie.
   */
  current?: boolean;
}

export interface KnownSessions {
  get(sid: string): Known | undefined;
  add(sid: string, known: Known): void;
  forget(sid: string): void;
}

const MAX_ENTRIES = 10_000;

export function knownSessions(): KnownSessions {
  const known = boundedMap<Known>(MAX_ENTRIES);
  return {
    get: (sid) => known.get(sid),
    add: (sid, entry) => known.set(sid, entry),
    forget: (sid) => known.delete(sid),
  };
}
