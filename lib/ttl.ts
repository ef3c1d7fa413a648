import createDebug from 'debug';
import type { Collection, Db, Filter } from 'mongodb';
import { serverErrorCode, type SessionDocument } from './document';

/**
 * The `TimeToLive` option. A TTL index on `LastAccessed` lets the server delete idle
 * sessions; since its monitor runs only about once a minute, reads also treat an idle
 * session as gone at once. Servers that refuse TTL indexes get a sweeper timer instead.
 */

const debug = createDebug('express-session-mongodb:ttl');

const INDEX_NAME = 'LastAccessed_1';
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;
const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;
/** MongoDB's TTL monitor period; the sweeper runs no less often. */
const MAX_SWEEP_MS = 60_000;

export type ExpiryMode = 'off' | 'index' | 'sweeper';

export interface Expiry {
  readonly seconds: number;
  readonly mode: ExpiryMode;
  isExpired(doc: SessionDocument, now: number): boolean;
  /** Matches sessions not yet idle too long; documents without `LastAccessed` never expire, as with a TTL index. */
  liveFilter(now: number): Filter<SessionDocument>;
  stop(): void;
}

function cutoff(seconds: number, now: number): Date {
  return new Date(now - seconds * 1000);
}

async function dropTtlIndexes(sessions: Collection<SessionDocument>): Promise<void> {
  let indexes;
  try {
    indexes = await sessions.listIndexes().toArray();
  } catch (err) {
    if (serverErrorCode(err) === NAMESPACE_NOT_FOUND) return;
    throw err;
  }
  for (const index of indexes) {
    const keys = Object.keys(index.key ?? {});
    if (keys.length === 1 && keys[0] === 'LastAccessed' && typeof index.expireAfterSeconds === 'number' && index.name) {
      debug('TimeToLive is 0: dropping TTL index %s', index.name);
      await sessions.dropIndex(index.name).catch((err: unknown) => {
        if (serverErrorCode(err) !== INDEX_NOT_FOUND) throw err;
      });
    }
  }
}

/** Changes the TTL of an existing index, or replaces an index that has other options. */
async function updateTtlIndex(db: Db, sessions: Collection<SessionDocument>, seconds: number): Promise<void> {
  try {
    await db.command({
      collMod: sessions.collectionName,
      index: { keyPattern: { LastAccessed: 1 }, expireAfterSeconds: seconds },
    });
    debug('TTL index changed to %d s', seconds);
  } catch (err) {
    debug('collMod refused (%s): replacing the index', serverErrorCode(err));
    await sessions.dropIndex(INDEX_NAME).catch((dropErr: unknown) => {
      if (serverErrorCode(dropErr) !== INDEX_NOT_FOUND) throw dropErr;
    });
    await sessions.createIndex({ LastAccessed: 1 }, { name: INDEX_NAME, expireAfterSeconds: seconds });
  }
}

/** Resolves true when the server keeps a TTL index, false when it refuses one. */
async function ensureTtlIndex(db: Db, sessions: Collection<SessionDocument>, seconds: number): Promise<boolean> {
  try {
    try {
      await sessions.createIndex({ LastAccessed: 1 }, { name: INDEX_NAME, expireAfterSeconds: seconds });
    } catch (err) {
      const code = serverErrorCode(err);
      if (code !== INDEX_OPTIONS_CONFLICT && code !== INDEX_KEY_SPECS_CONFLICT) throw err;
      await updateTtlIndex(db, sessions, seconds);
    }
    return true;
  } catch (err) {
    const code = serverErrorCode(err);
    // Network failures fail the store; a server that says no gets the sweeper.
    if (code === undefined) throw err;
    debug('TTL index refused (code %d): sweeping idle sessions on a timer', code);
    return false;
  }
}

function startSweeper(sessions: Collection<SessionDocument>, seconds: number): () => void {
  let sweeping = false;
  const sweep = (): void => {
    if (sweeping) return;
    sweeping = true;
    sessions
      .deleteMany({ LastAccessed: { $lt: cutoff(seconds, Date.now()) } })
      .then(
        (result) => debug('swept %d idle sessions', result.deletedCount),
        (err: unknown) => debug('sweep failed: %s', err instanceof Error ? err.message : String(err)),
      )
      .finally(() => {
        sweeping = false;
      });
  };
  const timer = setInterval(sweep, Math.min(Math.max(seconds * 1000, 1000), MAX_SWEEP_MS));
  timer.unref();
  return () => clearInterval(timer);
}

/** `db` holds `sessions`: driver 5 collections do not know their Db. */
export async function manageExpiry(db: Db, sessions: Collection<SessionDocument>, seconds: number): Promise<Expiry> {
  let mode: ExpiryMode = 'off';
  let stop = (): void => {};
  if (seconds === 0) {
    await dropTtlIndexes(sessions);
  } else if (await ensureTtlIndex(db, sessions, seconds)) {
    mode = 'index';
  } else {
    mode = 'sweeper';
    stop = startSweeper(sessions, seconds);
  }

  return {
    seconds,
    mode,
    isExpired(doc, now) {
      return seconds > 0 && doc.LastAccessed instanceof Date && doc.LastAccessed.getTime() < now - seconds * 1000;
    },
    liveFilter(now) {
      return seconds > 0 ? { LastAccessed: { $not: { $lt: cutoff(seconds, now) } } } : {};
    },
    stop,
  };
}
