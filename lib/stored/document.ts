import type { ObjectId } from 'mongodb';

/**
 * One session, as 1.x stored it plus what 2.x adds. 1.x documents have an ObjectId
 * `_id`; 2.x uses the session ID itself so that lookups hit the `_id` index.
 */
export interface SessionDocument {
  _id: string | ObjectId;
  SessionID: string;
  Data: unknown;
  LastAccessed?: Date;
  /** When the session was first written (or first written by 2.1, for older documents). */
  Created?: Date;
  /** The cookie's expiry; absent for a cookie that ends with the browser session. */
  Expires?: Date;
  /** When the last write of the session was sent: a write stamped earlier no longer applies (see write-fence). */
  Written?: Date;
  Delete?: true;
  /** With `EncryptionKeys`: the cookie a `touch` renewed, sealed beside a sealed `Data`, whose own it overrides. */
  Cookie?: unknown;
  /** Set when `Data` names were escaped by 2.x's `Filter` (1.x escaped differently). */
  FilterVersion?: number;
  /** The session's user, copied from where `UserKey` says; absent when it names none. */
  User?: string | number | ObjectId;
  /** When `FlagUserSessions` revoked it: it leaves once the grace period after this has passed. */
  Revoked?: Date;
  /** With `Adopt`: the cookie's expiry (or their fallback), connect-mongo's field and TTL index; it replaces `Expires`. */
  expires?: Date;
  /** With `Adopt`: connect-mongo's or connect-mongodb-session's session (see adopted). */
  session?: unknown;
  /** With `Adopt`: a hash of the `session` this store last wrote (see adopted). */
  SessionHash?: string;
  /** With `Adopt` and connect-mongo's touchAfter or timestamps: their stamps, written as they write them. */
  lastModified?: Date;
  createdAt?: Date;
  updatedAt?: Date;
}

/** A MongoDB server's refusal, as opposed to a network failure. */
export function serverErrorCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
