import express from 'express';
import session from 'express-session';
import type { Db } from 'mongodb';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import MongoStore, { createWebCryptoAdapter } from 'connect-mongo';
import { connectMongoCipher, type SessionFieldCipher } from '../../lib/stored/connect-mongo-crypto';
import { Browser, listen, testSession } from './http';
import { isFerretDB, serverUri, testClient } from './server';

/*
 * The stores a fleet switches from, as their processes run them: connect-mongo 6 (over the
 * run's client) and connect-mongodb-session 5 (over its own client, of its own driver), and
 * an app of express-session and Passport over any store.
 */

export type OldStore = session.Store & { close(): Promise<void> };

export interface OldKind {
  name: string;
  /** The Adopt option naming these processes' options. */
  adopt: object | string;
  open(db: Db): Promise<OldStore>;
  /** connect-mongodb-session has no touch. */
  touches: boolean;
  /** Where connect-mongo seals its `session` field: the cipher of the same options, to look inside. */
  sealed?: SessionFieldCipher;
}

export function connectMongo(options: Record<string, unknown>): (db: Db) => Promise<OldStore> {
  return async (db) => {
    // FerretDB v1 refuses TTL indexes, which fails connect-mongo's every call with 'native'.
    const autoRemove = isFerretDB() ? 'disabled' : 'native';
    const store = MongoStore.create({ client: testClient(), dbName: db.databaseName, autoRemove, ...options });
    // Its own setup (the TTL index) done; its close would close the run's client.
    await (store as unknown as { collectionP: Promise<unknown> }).collectionP;
    return Object.assign(store, { close: async () => {} }) as unknown as OldStore;
  };
}

async function connectMongodbSession(db: Db): Promise<OldStore> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const MongoDBStore = require('connect-mongodb-session')(session) as new (
    options: object,
    callback: (err?: Error) => void,
  ) => session.Store & { client: { close(): Promise<void> } };
  let store: InstanceType<typeof MongoDBStore> | undefined;
  await new Promise<void>((resolve, reject) => {
    // On FerretDB v1, which refuses TTL indexes, it reports that and works on.
    const refusedTtl = (err: Error) => isFerretDB() && err.message.includes('"expireAfterSeconds" is not implemented');
    store = new MongoDBStore({ uri: serverUri(), databaseName: db.databaseName, collection: 'sessions' }, (err) =>
      err && !refusedTtl(err) ? reject(err) : resolve(),
    );
    store.on('error', () => {});
  });
  return Object.assign(store!, { close: () => store!.client.close() });
}

/** The old fleet's secret, and the very adapter object it was given: Adopt takes the same. */
export const CRYPTO_SECRET = 'the secret the old fleet runs with';
const WEB_CRYPTO = createWebCryptoAdapter({ secret: CRYPTO_SECRET });

export const OLD_KINDS: OldKind[] = [
  { name: 'connect-mongo', adopt: 'connect-mongo', open: connectMongo({}), touches: true },
  {
    name: 'connect-mongo (stringify false, timestamps, touchAfter)',
    adopt: { from: 'connect-mongo', stringify: false, timestamps: true, touchAfter: 1 },
    open: connectMongo({ stringify: false, timestamps: true, touchAfter: 1 }),
    touches: true,
  },
  {
    name: 'connect-mongo (crypto)',
    adopt: { from: 'connect-mongo', crypto: { secret: CRYPTO_SECRET } },
    open: connectMongo({ crypto: { secret: CRYPTO_SECRET } }),
    touches: true,
    sealed: connectMongoCipher({ crypto: { secret: CRYPTO_SECRET } }),
  },
  {
    name: 'connect-mongo (its web crypto adapter, stringify false)',
    adopt: { from: 'connect-mongo', stringify: false, cryptoAdapter: WEB_CRYPTO },
    open: connectMongo({ stringify: false, cryptoAdapter: WEB_CRYPTO }),
    touches: true,
    sealed: connectMongoCipher({ cryptoAdapter: WEB_CRYPTO }),
  },
  { name: 'connect-mongodb-session', adopt: 'connect-mongodb-session', open: connectMongodbSession, touches: false },
];

declare module 'express-session' {
  interface SessionData {
    values?: Record<string, string>;
    passport?: { user: string };
  }
}

export interface App {
  url: string;
  close(): Promise<void>;
}

/**
 * express-session (cookie `maxAge`; null: a browser-session cookie) and Passport over `store`:
 * /set?k=v, /get, /login?username=&password=, /whoami, /destroy.
 */
export async function startSwitchApp(store: session.Store, maxAge: number | null = 3_600_000): Promise<App> {
  const passport = new Passport();
  passport.use(new LocalStrategy((username, _password, done) => done(null, { id: username })));
  passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
  passport.deserializeUser((id: string, done) => done(null, { id }));
  const app = express();
  app.set('env', 'test');
  app.use(testSession(store, { cookie: maxAge === null ? {} : { maxAge } }));
  app.use(passport.session());
  const report = (req: express.Request, res: express.Response): void => {
    res.json({ id: req.sessionID, values: req.session?.values ?? {} });
  };
  app.get('/set', (req, res) => {
    Object.assign((req.session.values ??= {}), req.query);
    report(req, res);
  });
  app.get('/get', report);
  app.get('/login', passport.authenticate('local', { failWithError: true }), (req, res) =>
    res.json({ user: (req.user as { id: string }).id }),
  );
  app.get('/whoami', (req, res) => res.json({ user: (req.user as { id: string } | undefined)?.id ?? null }));
  app.get('/destroy', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.json({ destroyed: true }))));
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (res.headersSent) res.destroy();
    else res.status(500).json({ error: err.message });
  });
  return listen(app);
}

/** One browser, one cookie jar, whose requests go to whichever app a rolling deploy routes them to. */
export class RoutedBrowser {
  cookie: string | undefined;

  async get<T = { id: string; values: Record<string, string> }>(app: App, path: string): Promise<T> {
    const browser = new Browser(app.url);
    browser.cookie = this.cookie;
    const { status, body } = await browser.get<T>(path);
    if (status !== 200) throw new Error(`${path}: status ${status}, ${JSON.stringify(body)}`);
    this.cookie = browser.cookie;
    return body;
  }

  get sessionId(): string | undefined {
    const browser = new Browser('');
    browser.cookie = this.cookie;
    return browser.sessionId;
  }
}
