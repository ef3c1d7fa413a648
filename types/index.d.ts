import type { SessionData, Store } from 'express-session';
import type { Db, MongoClient, ObjectId } from 'mongodb';

declare namespace createStore {
  /** Options of `createStore`, named as in 1.x. Unknown keys are ignored. */
  interface Options {
    /** Collection holding the sessions. Default `'Sessions'`. */
    CollectionName?: string;
    /**
     * Seconds a session may stay idle (neither read nor written) before it expires.
     * `0` (the default) never expires sessions.
     */
    TimeToLive?: number;
    /** Adds the 1.x unique index on `SessionID`. Lookups never scan either way. Default `false`. */
    IndexSessionID?: boolean;
    /** Escapes `.`, `$` and `\0` in session property names so any name can be stored. Default `false`. */
    Filter?: boolean;
    /** `destroy` and `clear` only flag sessions; `Cleanup` removes them later. Default `false`. */
    DeleteFlags?: boolean;
    /** The 1.x code's spelling of `DeleteFlags`; either one works. */
    DeleteFlag?: boolean;
    /**
     * Seconds: with `TimeToLive`, `get` and `touch` rewrite `LastAccessed` at most once per
     * interval, so expiry may come up to this much early. `0` (the default) rewrites it on
     * every read, as 1.x did, but not twice within a second. Must be shorter than `TimeToLive`.
     */
    TouchInterval?: number;
    /**
     * Seconds a session may live from its creation, however active: an absolute timeout.
     * `0` (the default) sets none.
     */
    MaxLifetime?: number;
    /**
     * Milliseconds after which any store call (and the `createStore` callback) ends with an
     * error instead of waiting on an unreachable server. `0` leaves it to the driver. Default `10000`.
     */
    OperationTimeoutMS?: number;
    /**
     * Where a session names its user: a dotted path such as `'passport.user'`, or a function
     * of the session. The store keeps that value (a string, a finite number or an ObjectId;
     * `null` or missing: no user) in the document's indexed `User` field, for `UserSessions`
     * and `FlagUserSessions`. A value of another type fails the `set`. Default: none.
     */
    UserKey?: string | ((session: SessionData) => unknown);
    /**
     * Secrets that encrypt each session's `Data` (AES-256-GCM, bound to the session ID): the
     * first encrypts, every one decrypts, so a new secret goes first and old ones stay until
     * the sessions they sealed are rewritten or expired. Each is a string of at least 32
     * characters or a Buffer of at least 32 random bytes; no duplicates. Plaintext `Data` is
     * read only where the array holds one `null`: first (`[null, KEY]`), plaintext is written
     * again while the secrets still decrypt; after the first secret (`[KEY, null]`), plaintext
     * sessions are read while each is encrypted at its next write. Without a `null`, a
     * plaintext session (which anyone who can write to the collection can make) reads as
     * missing. Default: none (plaintext; a sealed session then reads as missing).
     */
    EncryptionKeys?: ReadonlyArray<string | Uint8Array | null>;
    /**
     * Every write of a session stamps `Written` and applies only where no later stamp is
     * stored, so a write that reaches the server late (its caller told it timed out) cannot
     * land over a newer one from any process. Default: on, except on FerretDB v1, which reads
     * its whole collection for any filter other than `{ _id }` (docs/outages-and-timeouts.md, "What a timeout leaves possible").
     */
    FenceLateWrites?: boolean;
    /**
     * Whether 1.x processes may write to the collection (a fleet being upgraded). `false` says
     * none does: on a collection that holds no 1.x document at start, every single-session
     * call then filters on `{ _id }` alone, and a session ID that is not found costs one round
     * trip, never a second look among 1.x documents (a scan on FerretDB v1, a query to every
     * shard behind a mongos). A 1.x process writing anyway would have its new sessions missed.
     * Default `true`.
     */
    SharedWith1x?: boolean;
    /** Read by 1.x and ignored; accepted for compatibility. */
    ConvertToUtf8?: unknown;
    /**
     * Takes over the collection of connect-mongo 6 or connect-mongodb-session 5 (name it with
     * `CollectionName`; default `'sessions'` with this option): their documents are served as
     * they are, and each is written in this store's form at its next write, with their fields
     * beside it for as long as `writeTheirs` (default `true`) says old processes may read it.
     * The store's name takes that store's defaults; an object gives the options the old
     * processes run with. docs/switching-from-connect-mongo.md. Default: none.
     */
    Adopt?: 'connect-mongo' | 'connect-mongodb-session' | AdoptConnectMongo | AdoptConnectMongodbSession;
  }

  /** `Adopt` for connect-mongo 6: its options as the old processes run with them, under its names. */
  interface AdoptConnectMongo {
    from: 'connect-mongo';
    /** Seconds a session lives where its cookie has no expiry. Default 1209600 (14 days). */
    ttl?: number;
    /** `session` stored as a JSON string (`true`, the default) or as an object. */
    stringify?: boolean;
    /** Over 0: writes stamp `lastModified`, which connect-mongo's own touchAfter reads. Default 0. */
    touchAfter?: number;
    /** Writes stamp `createdAt` (first write) and `updatedAt`. Default `false`. */
    timestamps?: boolean;
    /** Accepted; this store removes expired sessions itself whatever it says. Default `'native'`. */
    autoRemove?: 'native' | 'interval' | 'disabled';
    /** Accepted with `autoRemove`; unused. */
    autoRemoveInterval?: number;
    /** `false` once no connect-mongo process runs: their fields are no longer written. Default `true`. */
    writeTheirs?: boolean;
    /**
     * connect-mongo's `crypto`, the very object it was given: its sealed `session` is opened, and
     * written sealed. Supported: `algorithm` aes-128/192/256-gcm, `hashing` sha256/384/512,
     * `encodeas` base64/base64url/hex (`key_size`, `iv_size`, `at_size` are accepted, unread as
     * in connect-mongo). `secret: false` encrypts nothing. Not with `cryptoAdapter`.
     */
    crypto?: AdoptCrypto;
    /** connect-mongo's `cryptoAdapter`, the very object it was given. Not with `crypto`. */
    cryptoAdapter?: AdoptCryptoAdapter | null;
  }

  /** connect-mongo 6's `crypto` option. Strings, so that its own `CryptoOptions` objects fit. */
  interface AdoptCrypto {
    secret: string | false;
    algorithm?: string;
    hashing?: string;
    encodeas?: string;
    key_size?: number;
    iv_size?: number;
    at_size?: number;
  }

  /** connect-mongo 6's `cryptoAdapter`: called as connect-mongo calls it, as methods. */
  interface AdoptCryptoAdapter {
    encrypt(plaintext: string): Promise<string>;
    decrypt(ciphertext: string): Promise<string>;
  }

  /** `Adopt` for connect-mongodb-session 5, under its names. */
  interface AdoptConnectMongodbSession {
    from: 'connect-mongodb-session';
    /** Milliseconds a session lives where its cookie has no expiry. Default 1209600000 (14 days). */
    expires?: number;
    /** `false` once no connect-mongodb-session process runs. Default `true`. */
    writeTheirs?: boolean;
  }

  /** Error-first callback, as in 1.x. */
  type Callback<T> = (err: Error | null, result?: T) => void;

  /** A stored session with its ID, as listed by `all`. */
  type ListedSession = SessionData & { id: string };

  /** A user's ID, as `UserKey` finds it in sessions. */
  type UserId = string | number | ObjectId;

  /** A live session of a user, as listed by `UserSessions`: never its contents. */
  interface UserSession {
    id: string;
    /** When it was first written (`null` for a session no 2.1 process has written yet). */
    created: Date | null;
    /** When it was last written (or, with `TimeToLive`, read). */
    lastAccessed: Date | null;
    /** When it expires unless used again (`null`: never). */
    expires: Date | null;
  }

  /**
   * The events a store emits, with their arguments: connect-mongo 6's session events (so
   * its listeners keep working), `revoke`, and the connection's. A session event comes once
   * the server acknowledged the call, before its callback runs or its promise settles; never
   * for a call that failed or timed out. See docs/events.md.
   */
  interface StoreEvents {
    /** A `set` made the session: no document of it was there. Followed by `set`. */
    create: [sid: string];
    /** A `set` replaced the session's document. Followed by `set`. */
    update: [sid: string];
    /** A `set` stored the session, after `create` or `update`. */
    set: [sid: string];
    /** A `touch` stored the renewed cookie and idle clock; none when TouchInterval skipped it or the session is gone. */
    touch: [sid: string, session: SessionData | undefined];
    /** A `destroy` deleted the session (flagged it, with `DeleteFlags`), or found none to delete. */
    destroy: [sid: string];
    /** A `get` read the session, or found none (it then called back with `null`). */
    get: [sid: string];
    /** An `all` listed these sessions. */
    all: [sessions: ListedSession[]];
    /** `FlagUserSessions` revoked `count` sessions of the user (`0`: none left to revoke). */
    revoke: [userId: UserId, count: number];
    /** The driver reached no server any more (see docs/outages-and-timeouts.md). */
    disconnect: [];
    /** The driver reaches a server again after a `disconnect`. */
    connect: [];
  }

  /**
   * The store handed to express-session. Every method takes an error-first callback
   * or, without one, returns a promise.
   */
  interface SessionStore extends Store {
    /** The session, or `null` when it is missing, flagged or expired. */
    get(sid: string, callback: Callback<SessionData | null>): void;
    get(sid: string): Promise<SessionData | null>;

    /**
     * Stores the session whole; calls back with the session. With `UserKey`, never creates
     * again a session this process read, wrote or saw go (destroyed, or read as missing,
     * flagged, ended or unreadable), unless express-session has just made its ID.
     */
    set(sid: string, session: SessionData, callback: Callback<SessionData>): void;
    set(sid: string, session: SessionData): Promise<SessionData>;

    /**
     * Stores the session's renewed cookie and restarts the idle clock of a live session; a
     * missing, flagged or expired one is left alone, without an error.
     */
    touch(sid: string, session: SessionData, callback: Callback<void>): void;
    touch(sid: string, session?: SessionData): Promise<void>;

    /** Deletes the session, or flags it when `DeleteFlags` is on and then, as 1.x, gives the number flagged. */
    destroy(sid: string, callback: Callback<number | undefined>): void;
    destroy(sid: string): Promise<number | undefined>;

    /** Counts live sessions. */
    length(callback: Callback<number>): void;
    length(): Promise<number>;

    /** Lists live sessions, each with its `id`. */
    all(callback: Callback<ListedSession[]>): void;
    all(): Promise<ListedSession[]>;

    /** Deletes every session (indexes stay), or flags them all when `DeleteFlags` is on and then, as 1.x, gives the number flagged. */
    clear(callback: Callback<number | undefined>): void;
    clear(): Promise<number | undefined>;

    /** Flags one session, or every session when `sid` is `null`; calls back, as 1.x, with how many it matched. */
    FlagDeletion(sid: string | null, callback: Callback<number>): void;
    FlagDeletion(sid: string | null): Promise<number>;

    /** Deletes the flagged sessions; calls back with how many were deleted. */
    Cleanup(callback: Callback<number>): void;
    Cleanup(): Promise<number>;

    /** The user's live sessions (needs `UserKey`), found through the `User` index. */
    UserSessions(userId: UserId, callback: Callback<UserSession[]>): void;
    UserSessions(userId: UserId): Promise<UserSession[]>;

    /**
     * Revokes every session of the user not revoked yet, live or ended but still stored, but
     * `exceptSid` (`null`: all of them), whatever `DeleteFlags` says: flagged, so that no
     * request still holding one can save it back. Needs `UserKey`; calls back with how many it revoked.
     */
    FlagUserSessions(userId: UserId, exceptSid: string | null, callback: Callback<number>): void;
    FlagUserSessions(userId: UserId, exceptSid: string | null): Promise<number>;

    /** Stops the store's timers. Never closes the caller's client. */
    close(callback: Callback<void>): void;
    close(): Promise<void>;

    /** Resolves with the store once its collection and indexes exist. */
    ready(): Promise<SessionStore>;

    /** Listens to one of the store's events (see {@link StoreEvents}), typed by its name. */
    on<K extends keyof StoreEvents>(event: K, listener: (...args: StoreEvents[K]) => void): this;
    on<E extends string | symbol>(event: E extends keyof StoreEvents ? never : E, listener: (...args: unknown[]) => void): this;

    /** As `on`, for the next emission only. */
    once<K extends keyof StoreEvents>(event: K, listener: (...args: StoreEvents[K]) => void): this;
    once<E extends string | symbol>(event: E extends keyof StoreEvents ? never : E, listener: (...args: unknown[]) => void): this;

    /** Removes a listener added by `on` or `once`. */
    off<K extends keyof StoreEvents>(event: K, listener: (...args: StoreEvents[K]) => void): this;
    off<E extends string | symbol>(event: E extends keyof StoreEvents ? never : E, listener: (...args: unknown[]) => void): this;

    /** Emits an event, as the store does; its arguments are typed by its name. */
    emit<K extends keyof StoreEvents>(event: K, ...args: StoreEvents[K]): boolean;
    emit<E extends string | symbol>(event: E extends keyof StoreEvents ? never : E, ...args: unknown[]): boolean;
  }

  /**
   * What a store call (or the `createStore` callback) fails with when it outlives
   * `OperationTimeoutMS`. Its message names what was waited for and the servers; `cause` is
   * the driver's last error reaching them (for example `connect ECONNREFUSED`), when known.
   */
  interface StoreTimeoutError extends Error {
    readonly name: 'StoreTimeoutError';
    /** What did not finish, e.g. `createStore` or `Session store get`. */
    readonly operation: string;
    /** The limit that ran out, in milliseconds. */
    readonly timeoutMS: number;
    /** The servers waited on, as `host:port`, never with credentials; empty when unknown. */
    readonly servers: string[];
  }

  /** The class of {@link StoreTimeoutError}, for `err instanceof createStore.StoreTimeoutError`. */
  interface StoreTimeoutErrorConstructor {
    new (operation: string, timeoutMS: number, servers?: string[], cause?: Error): StoreTimeoutError;
    readonly prototype: StoreTimeoutError;
  }

  /** A driver `Db`, or a `MongoClient` whose default database is used. */
  type Handle = Db | MongoClient;

  /** The function the package exports; callable with or without `new`. */
  interface CreateStore {
    (db: Handle, callback?: Callback<SessionStore> | null, options?: Options): SessionStore;
    new (db: Handle, callback?: Callback<SessionStore> | null, options?: Options): SessionStore;
    readonly default: CreateStore;
    readonly createStore: CreateStore;
    /** The class of timeout errors, for `err instanceof createStore.StoreTimeoutError`. */
    readonly StoreTimeoutError: StoreTimeoutErrorConstructor;
  }
}

/**
 * Builds a session store in `db`: creates the collection and the indexes the options
 * ask for, then calls `callback(err, store)` once. The store is returned at once too;
 * methods called before it is ready wait for it.
 */
declare const createStore: createStore.CreateStore;

export = createStore;
