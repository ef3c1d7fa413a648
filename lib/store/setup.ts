import createDebug from 'debug';
import type { Db } from 'mongodb';
import { serverErrorCode, type SessionDocument } from '../stored/document';
import { manageExpiry } from '../expiry/expiry';
import type { Context } from './context';
import { goneSessions } from './gone-sessions';
import { knownSessions } from './known-sessions';
import { detectLayout } from '../writes/layout';
import type { Settings } from '../calls/options';
import { detectServerLimits, READ_OPTIONS } from '../stored/bson-limits';
import { touchThrottle } from '../expiry/touch-throttle';
import { ensureUserIndex } from './user-sessions';
import { writeFence } from '../writes/write-fence';
import { writeOrder } from '../writes/write-order';

/** Makes the collection and the indexes the options ask for, and what the store's calls need. */

const debug = createDebug('express-session-mongodb');
const NAMESPACE_EXISTS = 48;

async function ensureCollection(db: Db, name: string): Promise<void> {
  try {
    await db.createCollection(name);
  } catch (err) {
    // Some servers answer NamespaceExists where MongoDB answers ok.
    if (serverErrorCode(err) !== NAMESPACE_EXISTS) throw err;
  }
}

export async function prepare(db: Db, settings: Settings): Promise<Context> {
  await ensureCollection(db, settings.collectionName);
  // Read from the primary whatever the client prefers: the next request must see this one's session.
  const sessions = db.collection<SessionDocument>(settings.collectionName, { readPreference: 'primary', ...READ_OPTIONS });
  if (settings.indexSessionId) {
    await sessions.createIndex({ SessionID: 1 }, { unique: true, name: 'SessionID_1' });
  }
  if (settings.userKey) await ensureUserIndex(sessions);
  const limits = await detectServerLimits(db);
  // FerretDB v1, which skips renames, also serves no filter but `{ _id }` from its storage.
  const layout = await detectLayout(db, sessions, {
    idFiltersOnly: limits.skipsRenames === true,
    shared1x: settings.sharedWith1x,
    forced: settings.lookup,
  });
  const expiry = await manageExpiry(db, sessions, settings);
  const keyed = { either: '_id or 1.x SessionID', id: '_id', 'two-step': layout.legacy ? '1.x (SessionID)' : '_id, then 1.x SessionID' }[
    layout.mode
  ];
  debug('ready: collection %s, lookups by %s, expiry %s', settings.collectionName, keyed, expiry.mode);
  return {
    settings,
    sessions,
    layout,
    expiry,
    throttle: touchThrottle(settings.touchInterval),
    known: knownSessions(),
    gone: goneSessions(),
    inOrder: writeOrder(),
    limits,
    // Off by default on FerretDB v1, which reads its whole table for any filter but `{ _id }`.
    fence: writeFence(settings.fenceLateWrites ?? !limits.skipsRenames, sessions),
  };
}
