import express from 'express';
import session, { type Store } from 'express-session';
import type { AddressInfo } from 'node:net';
import { ROLLING_MAX_AGE_MS, sessionFields } from './payload';

/**
 * An express 5 app with express-session over one store, on a loopback port. Routes:
 * /login stores a new ~1 KB session and answers its ID; /read only reads it (so
 * express-session calls touch); /write changes it (so express-session calls set).
 * Under /rolling, the same with a cookie of a day's maxAge and `rolling: true`: every read
 * renews the cookie, and express-session hands the renewed cookie to touch.
 */
export interface BenchApp {
  url: string;
  /** The session cookie of one prior /login, sent by the read and write traffic. */
  cookie: string;
  /** That session's ID, kept when collections are pruned. */
  sid: string;
  /** The cookie of one prior /rolling/login. */
  rollingCookie: string;
  rollingSid: string;
  close(): Promise<void>;
}

export async function startApp(store: Store): Promise<BenchApp> {
  const app = express();
  const rolling = express.Router();
  rolling.use(
    session({
      store,
      secret: 'benchmark secret',
      name: 'bench.rsid',
      resave: false,
      saveUninitialized: false,
      rolling: true,
    }),
  );
  rolling.get('/login', (req, res) => {
    // express-session keeps one generate() per store, the last middleware's: set maxAge here.
    req.session.cookie.maxAge = ROLLING_MAX_AGE_MS;
    Object.assign(req.session, sessionFields());
    res.send(req.sessionID);
  });
  rolling.get('/read', (req, res) => {
    if (!req.session.user) res.status(401).send('no session');
    else res.send(req.session.user.name);
  });
  // Before the plain session middleware, which /rolling requests then never reach.
  app.use('/rolling', rolling);
  app.use(session({ store, secret: 'benchmark secret', name: 'bench.sid', resave: false, saveUninitialized: false }));
  app.get('/login', (req, res) => {
    Object.assign(req.session, sessionFields());
    res.send(req.sessionID);
  });
  // 401 when the session did not come back: counted as an error, so a broken store shows.
  app.get('/read', (req, res) => {
    if (!req.session.user) res.status(401).send('no session');
    else res.send(req.session.user.name);
  });
  app.get('/write', (req, res) => {
    if (!req.session.user) {
      res.status(401).send('no session');
      return;
    }
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.send(String(req.session.visits));
  });

  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const [cookie, sid] = await logIn(`${url}/login`);
  const [rollingCookie, rollingSid] = await logIn(`${url}/rolling/login`);

  return {
    url,
    cookie,
    sid,
    rollingCookie,
    rollingSid,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The session cookie and ID a login route answers with. */
async function logIn(url: string): Promise<[string, string]> {
  const login = await fetch(url);
  const cookie = login.headers.getSetCookie()[0]?.split(';')[0];
  if (login.status !== 200 || !cookie) throw new Error(`${url} answered ${login.status} without a session cookie`);
  return [cookie, await login.text()];
}
