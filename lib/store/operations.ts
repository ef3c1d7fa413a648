import type { SessionData } from 'express-session';
import type createStoreTypes from '../../types';
import type { Deadline } from '../calls/deadline';
import type { Context } from './context';
import type { SessionEvents } from './events';
import type { MadeSessions } from './made-sessions';
import { all, get, length, refreshes } from './read-sessions';
import { clear, destroy, flag, removeFlagged } from './remove-sessions';
import { touch } from './touch-session';
import { set } from './write-session';

/**
 * What the store does with sessions, one function per method, each over the prepared context:
 * reads (read-sessions), `set` (write-session), `touch` (touch-session), and what ends sessions
 * (remove-sessions). They share the context, the sessions express-session made, and the
 * refreshes reads leave waiting.
 */

type ListedSession = createStoreTypes.ListedSession;

/** Each takes its caller's arguments, then the call's deadline (see deadline.ts). */
export interface Operations {
  get(sid: unknown, deadline: Deadline): Promise<SessionData | null>;
  set(sid: unknown, session: unknown, deadline: Deadline): Promise<SessionData>;
  touch(sid: unknown, session: unknown, deadline: Deadline): Promise<void>;
  /** With DeleteFlags, the number flagged, as 1.x called back. */
  destroy(sid: unknown, deadline: Deadline): Promise<number | undefined>;
  clear(deadline: Deadline): Promise<number | undefined>;
  length(): Promise<number>;
  all(deadline: Deadline): Promise<ListedSession[]>;
  flag(sid: unknown, deadline: Deadline): Promise<number>;
  removeFlagged(deadline: Deadline): Promise<number>;
  /** Drops the refreshes not sent yet. */
  stop(): void;
}

export function sessionOperations(
  context: () => Promise<Context>,
  made: MadeSessions,
  events: SessionEvents,
  current: () => Context | undefined = () => undefined,
): Operations {
  const pending = refreshes();
  const shared = { context, current, made, refreshes: pending, events };
  return {
    get: (sid, deadline) => get(shared, pending, sid, deadline),
    set: (sid, session, deadline) => set(shared, sid, session, deadline),
    touch: (sid, session, deadline) => touch(shared, sid, session, deadline),
    destroy: (sid, deadline) => destroy(shared, sid, deadline),
    clear: (deadline) => clear(shared, deadline),
    length: () => length(shared),
    all: (deadline) => all(shared, deadline),
    flag: (sid, deadline) => flag(shared, sid, deadline),
    removeFlagged: (deadline) => removeFlagged(shared, deadline),
    stop: () => pending.stop(),
  };
}
