import type { Db, MongoClient } from 'mongodb';
import { DRIVER_VERSION } from '../driver/versions';

/** What the store was handed, resolved: the database, and the client whose events tell about its connection. */
export interface Handle {
  db: Db;
  /** Undefined only when nothing emits the driver's events. */
  client: MongoClient | undefined;
  /** Whether `client.connect()` reopens what a failed first connection closed (drivers 4 and later). */
  reopens: boolean;
}

function isDb(value: object): value is Db {
  const db = value as Partial<Db>;
  return typeof db.collection === 'function' && typeof db.createCollection === 'function' && typeof db.databaseName === 'string';
}

/** Driver 3.x gives a client's Db only once it is connected: said at once, with what to do instead. */
function defaultDb(client: { db: () => unknown }): unknown {
  try {
    return client.db();
  } catch (err) {
    if (!/must be connected/.test((err as Error).message)) throw err;
    throw new TypeError(
      `The MongoClient is not connected, and MongoDB driver ${DRIVER_VERSION} gives no database before it is: ` +
        'pass the client (or its Db) that MongoClient.connect(url, callback) calls back with, or call connect() first',
      { cause: err },
    );
  }
}

/**
 * The client behind `db`: public on drivers 5 and later, internal on 4.x. A 3.x Db keeps only
 * its topology, which emits the same events the client relays; the client itself, when it was
 * the handle, serves as well.
 */
function clientOf(db: Db, handle: object): Pick<Handle, 'client' | 'reopens'> {
  const internals = db as unknown as { client?: MongoClient; s?: { client?: MongoClient; topology?: MongoClient } };
  const own = internals.client ?? internals.s?.client;
  if (own) return { client: own, reopens: true };
  return { client: handle === db ? internals.s?.topology : (handle as MongoClient), reopens: false };
}

/**
 * Accepts a driver `Db` or a `MongoClient` (its default database). Checked by shape,
 * since the caller's driver copy is not necessarily the one this package would load.
 */
export function resolveHandle(handle: unknown): Handle {
  if (typeof handle === 'object' && handle !== null) {
    if (isDb(handle)) return { db: handle, ...clientOf(handle, handle) };
    const client = handle as { db?: unknown; connect?: unknown };
    if (typeof client.db === 'function' && typeof client.connect === 'function') {
      const db = defaultDb(client as { db: () => unknown });
      if (typeof db === 'object' && db !== null && isDb(db)) return { db, ...clientOf(db, handle) };
    }
  }
  throw new TypeError('The db argument must be a MongoDB Db or MongoClient from the official driver');
}
