import createDebug from 'debug';
import type { Collection, Db, Filter } from 'mongodb';
import { serverErrorCode, type SessionDocument } from '../stored/document';

/**
 * Removing expired documents: a TTL index where the server keeps one, else a timer. Which
 * fields and how long is the expiry module's business; this one only knows how.
 */

const debug = createDebug('express-session-mongodb:ttl');

const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;
const INDEX_NOT_FOUND = 27;

/** Changes the TTL of an existing index, or replaces an index that has other options. */
async function updateTtlIndex(db: Db, sessions: Collection<SessionDocument>, field: string, seconds: number): Promise<void> {
  const name = `${field}_1`;
  try {
    await db.command({ collMod: sessions.collectionName, index: { keyPattern: { [field]: 1 }, expireAfterSeconds: seconds } });
    debug('TTL index %s changed to %d s', name, seconds);
  } catch (err) {
    debug('collMod refused (%s): replacing the index %s', serverErrorCode(err), name);
    await sessions.dropIndex(name).catch((dropErr: unknown) => {
      if (serverErrorCode(dropErr) !== INDEX_NOT_FOUND) throw dropErr;
    });
    await sessions.createIndex({ [field]: 1 }, { name, expireAfterSeconds: seconds });
  }
}

/**
 * Makes (or changes) the TTL index on `field`. Resolves true when the server keeps it, false
 * when it refuses one; a network failure rejects. `db` holds `sessions`: driver 5
 * collections do not know their Db.
 */
export async function ensureTtlIndex(db: Db, sessions: Collection<SessionDocument>, field: string, seconds: number): Promise<boolean> {
  try {
    try {
      await sessions.createIndex({ [field]: 1 }, { name: `${field}_1`, expireAfterSeconds: seconds });
    } catch (err) {
      const code = serverErrorCode(err);
      if (code !== INDEX_OPTIONS_CONFLICT && code !== INDEX_KEY_SPECS_CONFLICT) throw err;
      await updateTtlIndex(db, sessions, field, seconds);
    }
    return true;
  } catch (err) {
    const code = serverErrorCode(err);
    if (code === undefined) throw err;
    debug('TTL index on %s refused (code %d)', field, code);
    return false;
  }
}

/** Deletes what `expired(now)` matches every `periodMs`, on a timer that keeps no process alive. */
export function startSweeper(
  sessions: Collection<SessionDocument>,
  expired: (now: number) => Filter<SessionDocument>,
  periodMs: number,
): () => void {
  let sweeping = false;
  const sweep = (): void => {
    if (sweeping) return;
    sweeping = true;
    sessions
      .deleteMany(expired(Date.now()))
      .then(
        (result) => debug('swept %d expired sessions', result.deletedCount),
        (err: unknown) => debug('sweep failed: %s', err instanceof Error ? err.message : String(err)),
      )
      .finally(() => {
        sweeping = false;
      });
  };
  const timer = setInterval(sweep, periodMs);
  timer.unref();
  return () => clearInterval(timer);
}
