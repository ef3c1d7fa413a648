import type { Filter } from 'mongodb';
import type { SessionDocument } from '../stored/document';

/**
 * Sessions `FlagUserSessions` revoked: flagged, and dated by `Revoked`. They stay flagged
 * (invisible) for a grace period, so that a request still holding one cannot write it anew
 * once gone, then leave by themselves: `Revoked` is one of the expiry clocks.
 */

/** Longer than any request holding a session should take. */
export const REVOKED_GRACE_SECONDS = 24 * 60 * 60;

/** Flagged sessions that `Cleanup` may remove: all but those revoked within the grace period. */
export function cleanupFilter(now: number): Filter<SessionDocument> {
  return { Delete: true, Revoked: { $not: { $gt: new Date(now - REVOKED_GRACE_SECONDS * 1000) } } };
}
