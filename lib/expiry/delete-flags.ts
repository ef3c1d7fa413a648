import type { Collection, DeleteOptions, Filter, UpdateOptions } from 'mongodb';
import type { SessionDocument } from '../stored/document';
import { cleanupFilter } from './revoked';

/**
 * The `DeleteFlags` option: `destroy` and `clear` mark sessions instead of deleting them,
 * so that a request still holding a session cannot bring it back when it saves.
 */

export const NOT_FLAGGED: Filter<SessionDocument> = { Delete: { $ne: true } };

export function isFlagged(doc: SessionDocument): boolean {
  return doc.Delete === true;
}

/** Flags the sessions `filter` matches (all when null); resolves, as 1.x did, with how many it matched, flagged already or not. */
export async function flagDeletion(
  sessions: Collection<SessionDocument>,
  filter: Filter<SessionDocument> | null,
  options: UpdateOptions = {},
): Promise<number> {
  const result = await sessions.updateMany(filter ?? {}, { $set: { Delete: true } }, options);
  return result.matchedCount;
}

/** Deletes the flagged sessions, but those FlagUserSessions revoked lately; resolves with how many. */
export async function cleanup(sessions: Collection<SessionDocument>, options: DeleteOptions = {}): Promise<number> {
  const result = await sessions.deleteMany(cleanupFilter(Date.now()), options);
  return result.deletedCount;
}
