import express from 'express';
import session, { type Store } from 'express-session';
import type { AddressInfo } from 'node:net';
import { sessionFields } from './payload';

/**
 * An express 5 app with express-session over one store, on a loopback port. Routes:
 * /login stores a new ~1 KB session and answers its ID; /read only reads it (so
 * express-session calls touch); /write changes it (so express-session calls set).
 */
export interface BenchApp {
  url: string;
  /** The session cookie of one prior /login, sent by the read and write traffic. */
  cookie: string;
  /** That session's ID, kept when collections are pruned. */
  sid: string;
  close(): Promise<void>;
}

export async function startApp(store: Store): Promise<BenchApp> {
  const app = express();
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

  const login = await fetch(`${url}/login`);
  const cookie = login.headers.getSetCookie()[0]?.split(';')[0];
  if (login.status !== 200 || !cookie) throw new Error(`/login answered ${login.status} without a session cookie`);
  const sid = await login.text();

  return {
    url,
    cookie,
    sid,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
