import type { Collection, Db, Document, Filter, Sort } from 'mongodb';
import { serverErrorCode } from '../../lib/stored/document';
import { modifiedDocument, RETURN_AFTER } from '../../lib/driver/versions';

/*
 * The real 1.x code: the registry's express-session-mongodb 1.3.3 (dev dependency
 * `express-session-mongodb-1`), run over today's driver through a callback adapter that
 * offers exactly the driver 1.4 calls it makes (node_modules/express-session-mongodb-1/lib).
 */

type Done<T> = (err: Error | null, result?: T) => void;

function bridge<T>(promise: Promise<T>, done: Done<T>): void {
  promise.then(
    (value) => done(null, value),
    (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
  );
}

const NAMESPACE_EXISTS = 48;
const NOT_IMPLEMENTED = 238;

/** Driver 1.4's collection calls, as 1.3.3 makes them. */
class V1Collection {
  constructor(private readonly collection: Collection<Document>) {}

  /**
   * On a server without TTL indexes (FerretDB v1: code 238), 1.x's TTL index is made as a
   * plain one, so that a 1.x process with TimeToLive still starts and writes `LastAccessed`
   * there; the 2.x side of the fleet then sweeps. A real mongod gets the TTL index.
   */
  ensureIndex(keys: Document, options: Document, done: Done<string>): void {
    const { w: _w, ...indexOptions } = options;
    const made = this.collection.createIndex(keys, indexOptions).catch((err: unknown) => {
      if (serverErrorCode(err) !== NOT_IMPLEMENTED || indexOptions.expireAfterSeconds === undefined) throw err;
      const { expireAfterSeconds: _ttl, ...plain } = indexOptions;
      return this.collection.createIndex(keys, plain);
    });
    bridge(made, done);
  }

  /** `done(err, n)`: the number of documents matched (or upserted), as driver 1.4 passed it. */
  update(selector: Filter<Document>, update: Document, options: { upsert?: boolean; multi?: boolean }, done: Done<number>): void {
    const upsert = options.upsert === true;
    const write = options.multi
      ? this.collection.updateMany(selector, update, { upsert })
      : this.collection.updateOne(selector, update, { upsert });
    bridge(
      write.then((result) => result.matchedCount + result.upsertedCount),
      done,
    );
  }

  findOne(selector: Filter<Document>, done: Done<Document | null>): void {
    bridge(this.collection.findOne(selector), done);
  }

  /** Driver 1.4's findAndModify(query, sort, update, options, cb) with `new: true`. */
  findAndModify(
    selector: Filter<Document>,
    sort: Array<[string, 1 | -1]>,
    update: Document,
    options: { new?: boolean },
    done: Done<Document | null>,
  ): void {
    const order: Sort = Object.fromEntries(sort);
    const returned = options.new ? RETURN_AFTER : {};
    // Drivers 3.x and 4.x resolve with the command's reply, whatever includeResultMetadata says.
    const modified = this.collection.findOneAndUpdate(selector, update, { sort: order, ...returned, includeResultMetadata: false });
    bridge(modified.then(modifiedDocument), done);
  }

  remove(selector: Filter<Document>, done: Done<number>): void {
    bridge(
      this.collection.deleteMany(selector).then((result) => result.deletedCount),
      done,
    );
  }

  count(selector: Filter<Document>, done: Done<number>): void {
    bridge(this.collection.countDocuments(selector), done);
  }

  drop(done: Done<boolean>): void {
    bridge(this.collection.drop(), done);
  }
}

/** Driver 1.4's database calls: `createCollection` of an existing collection was no error. */
export function v1Db(db: Db): object {
  return {
    collection(name: string, done: Done<V1Collection>): void {
      done(null, new V1Collection(db.collection(name)));
    },
    createCollection(name: string, _options: Document, done: Done<V1Collection>): void {
      const made = db.createCollection(name).then(
        () => undefined,
        (err: unknown) => {
          if (serverErrorCode(err) !== NAMESPACE_EXISTS) throw err;
        },
      );
      bridge(
        made.then(() => new V1Collection(db.collection(name))),
        done,
      );
    },
  };
}

/** A 1.3.3 store's methods, with their 1.x callbacks. */
export interface V1Store {
  get(sid: string, done: Done<object | null>): void;
  set(sid: string, session: object, done: Done<object>): void;
  destroy(sid: string, done: Done<number | undefined>): void;
  length(done: Done<number>): void;
  clear(done: Done<number | undefined>): void;
  FlagDeletion(sid: string | null, done: Done<number>): void;
  Cleanup(done: Done<number>): void;
}

export interface V1Options {
  CollectionName?: string;
  TimeToLive?: number;
  IndexSessionID?: boolean;
  Filter?: boolean;
  DeleteFlag?: boolean;
}

type V1Constructor = new (db: object, done: (err: Error | null | undefined, store: V1Store) => void, options?: V1Options) => V1Store;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const V1 = require('express-session-mongodb-1') as V1Constructor;

/** Starts a real 1.x store on `db`, as a 1.x process of the fleet would. */
export function openV1Store(db: Db, options?: V1Options): Promise<V1Store> {
  return new Promise((resolve, reject) => {
    new V1(v1Db(db), (err, store) => (err ? reject(err) : resolve(store)), options);
  });
}

/** Promise forms of a 1.x store's calls, for tests. */
export function v1(store: V1Store) {
  const call = <T>(run: (done: Done<T>) => void) =>
    new Promise<T | undefined>((resolve, reject) => run((err, result) => (err ? reject(err) : resolve(result))));
  return {
    get: (sid: string) => call<object | null>((done) => store.get(sid, done)),
    set: (sid: string, session: object) => call<object>((done) => store.set(sid, session, done)),
    destroy: (sid: string) => call<number | undefined>((done) => store.destroy(sid, done)),
    length: () => call<number>((done) => store.length(done)),
    clear: () => call<number | undefined>((done) => store.clear(done)),
    flag: (sid: string | null) => call<number>((done) => store.FlagDeletion(sid, done)),
    cleanup: () => call<number>((done) => store.Cleanup(done)),
  };
}
