import type { Db } from 'mongodb';

function isDb(value: object): value is Db {
  const db = value as Partial<Db>;
  return typeof db.collection === 'function' && typeof db.createCollection === 'function' && typeof db.databaseName === 'string';
}

/**
 * Accepts a driver `Db` or a `MongoClient` (its default database). Checked by shape,
 * since the caller's driver copy is not necessarily the one this package would load.
 */
export function resolveDb(handle: unknown): Db {
  if (typeof handle === 'object' && handle !== null) {
    if (isDb(handle)) return handle;
    const client = handle as { db?: unknown; connect?: unknown };
    if (typeof client.db === 'function' && typeof client.connect === 'function') {
      const db: unknown = client.db();
      if (typeof db === 'object' && db !== null && isDb(db)) return db;
    }
  }
  throw new TypeError('The db argument must be a MongoDB Db or MongoClient from the official driver');
}
