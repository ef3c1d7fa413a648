import type { IdleRefreshes } from '../expiry/idle-refresh';
import type { Context } from './context';
import type { SessionEvents } from './events';
import type { MadeSessions } from './made-sessions';

/** What the operations of one store share (see operations.ts). */
export interface Shared {
  /** The prepared context (see lifecycle). */
  context(): Promise<Context>;
  /** The prepared context without waiting, when it is (see lifecycle). */
  current(): Context | undefined;
  /** The sessions express-session has just made in this process (see made-sessions). */
  made: MadeSessions;
  /** The refreshes of `LastAccessed` that reads leave waiting (see read-sessions). */
  refreshes: Pick<IdleRefreshes, 'cancel'>;
  /** The store's session events (see events). */
  events: SessionEvents;
}

/**
 * The session is gone as far as this process knows (missing, flagged, ended, unreadable,
 * destroyed): not live any more, and, with UserKey, not to be created again by a request that
 * held it (see write-session).
 */
export function went(ctx: Context, id: string): null {
  ctx.known.forget(id);
  ctx.gone.add(id);
  return null;
}
