import type { Collection, Filter, UpdateFilter } from 'mongodb';
import type { SessionDocument } from './document';

/**
 * Where a session is found. 2.x keys documents by `_id` (the session ID), the one lookup
 * every server serves from an index. A collection still holding 1.x documents (ObjectId
 * `_id`) is keyed by `SessionID` instead, as 1.x did, so old and new documents are served
 * alike and 1.x processes of the same fleet keep finding theirs.
 */
export interface Layout {
  readonly legacy: boolean;
  key(sid: string): Filter<SessionDocument>;
  /** The upsert that writes `fields` into the session's document. */
  write(sid: string, fields: Partial<SessionDocument>, unset: Partial<Record<keyof SessionDocument, ''>>): UpdateFilter<SessionDocument>;
  /**
   * The document that inserting a new session writes, or null where new sessions are
   * upserted: keyed by `SessionID`, an insert could duplicate a 1.x document.
   */
  insert(sid: string, fields: Partial<SessionDocument>): SessionDocument | null;
}

export async function detectLayout(sessions: Collection<SessionDocument>): Promise<Layout> {
  const legacy = (await sessions.findOne({ _id: { $type: 'objectId' } }, { projection: { _id: 1 } })) !== null;
  return {
    legacy,
    key: legacy ? (sid) => ({ SessionID: sid }) : (sid) => ({ _id: sid }),
    write(sid, fields, unset) {
      const update: UpdateFilter<SessionDocument> = { $set: { ...fields, SessionID: sid } };
      if (Object.keys(unset).length > 0) update.$unset = unset;
      // A new document gets the session ID as `_id` even when found by SessionID.
      if (legacy) update.$setOnInsert = { _id: sid };
      return update;
    },
    insert: (sid, fields) => (legacy ? null : ({ _id: sid, ...fields, SessionID: sid } as SessionDocument)),
  };
}
