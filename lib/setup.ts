import createDebug from 'debug';
import type { Collection, Db } from 'mongodb';
import { serverErrorCode, type SessionDocument } from './document';
import { knownSessions, type KnownSessions } from './known-sessions';
import { detectLayout, type Layout } from './layout';
import type { Settings } from './options';
import { READ_OPTIONS } from './bson-limits';
import { touchThrottle, type TouchThrottle } from './touch-throttle';
import { manageExpiry, type Expiry } from './ttl';

/** Makes the collection and the indexes the options ask for, and what the store's calls need. */

const debug = createDebug('express-session-mongodb');
const NAMESPACE_EXISTS = 48;

export interface Context {
  settings: Settings;
  sessions: Collection<SessionDocument>;
  layout: Layout;
  expiry: Expiry;
  throttle: TouchThrottle;
  known: KnownSessions;
}

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
  const layout = await detectLayout(sessions);
  const expiry = await manageExpiry(db, sessions, settings.timeToLive);
  debug('ready: collection %s, layout %s, expiry %s', settings.collectionName, layout.legacy ? '1.x (SessionID)' : '_id', expiry.mode);
  return {
    settings,
    sessions,
    layout,
    expiry,
    throttle: touchThrottle(settings.touchInterval, settings.timeToLive),
    known: knownSessions(),
  };
}
