import { boundedMap } from '../util/bounded-map';

/**
 * The session IDs express-session lately made through this store: it assigns `store.generate`
 * and calls it for every new session, which this watches. A `set` of such an ID is a new
 * session's first save; a `set` of any other ID this process has not read or written may be
 * a session a 1.x process created since this one started (see layout's probe).
 */
export interface MadeSessions {
  /** True once for an ID made here, then forgotten. */
  take(sid: string): boolean;
}

type Generate = (this: unknown, req: { sessionID?: unknown }) => void;

/** Enough for the saves in flight; forgetting one costs a lookup, not a wrong write. */
const MAX_ENTRIES = 10_000;

export function watchMadeSessions(store: object): MadeSessions {
  const made = boundedMap<true>(MAX_ENTRIES);
  let generate: Generate | undefined;
  Object.defineProperty(store, 'generate', {
    configurable: true,
    enumerable: true,
    get: () => generate,
    set(fn: unknown) {
      generate =
        typeof fn === 'function'
          ? function (this: unknown, req) {
              (fn as Generate).call(this, req);
              if (typeof req?.sessionID === 'string') made.set(req.sessionID, true);
            }
          : (fn as undefined);
    },
  });
  return {
    take(sid) {
      if (made.get(sid) === undefined) return false;
      made.delete(sid);
      return true;
    },
  };
}
