import { Store, type SessionData } from 'express-session';
import type { Collection } from 'mongodb';

/**
 * The floor: the least any MongoDB session store must send, straight through the driver,
 * in this store's document layout. One findOne by _id per get, one upsert per set, and a
 * touch only when there is something to renew (one update of LastAccessed, and of the
 * cookie when it expires). No validation, no
 * expiry check on read, no escaping, no timeout or retry: whatever a real store adds costs
 * something over this.
 */

export interface FloorDocument {
  _id: string;
  SessionID: string;
  Data: SessionData;
  LastAccessed: Date;
}

export interface SessionOps {
  get(sid: string): Promise<SessionData | null>;
  set(sid: string, session: SessionData): Promise<void>;
  touch(sid: string, session: SessionData): Promise<void>;
}

export function floorOps(sessions: Collection<FloorDocument>, ttl: boolean): SessionOps {
  return {
    async get(sid) {
      const doc = await sessions.findOne({ _id: sid });
      return doc ? doc.Data : null;
    },
    async set(sid, session) {
      await sessions.updateOne({ _id: sid }, { $set: { SessionID: sid, Data: session, LastAccessed: new Date() } }, { upsert: true });
    },
    async touch(sid, session) {
      const renewed: Record<string, unknown> = ttl ? { LastAccessed: new Date() } : {};
      if (session.cookie?.expires) Object.assign(renewed, { 'Data.cookie': session.cookie, Expires: session.cookie.expires });
      if (Object.keys(renewed).length > 0) await sessions.updateOne({ _id: sid }, { $set: renewed });
    },
  };
}

/** The floor as an express-session store, for the request-cycle workloads. */
export class FloorStore extends Store {
  constructor(
    private readonly ops: SessionOps,
    private readonly sessions: Collection<FloorDocument>,
  ) {
    super();
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    this.ops.get(sid).then((session) => callback(null, session), callback);
  }

  override set(sid: string, session: SessionData, callback?: (err?: unknown) => void): void {
    this.ops.set(sid, session).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override touch(sid: string, session: SessionData, callback?: (err?: unknown) => void): void {
    this.ops.touch(sid, session).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.sessions.deleteOne({ _id: sid }).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }
}
