import express from 'express';
import session from 'express-session';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { SessionStore } from './store';
import { sleep } from './store';

declare module 'express-session' {
  interface SessionData {
    values?: Record<string, string>;
  }
}

export const COOKIE = 'esm.sid';

/** express-session over `store` as the test apps run it: their secret and cookie name, no resave, 1-hour cookies. */
export function testSession(store: session.Store, options: Partial<session.SessionOptions> = {}): express.RequestHandler {
  return session({
    store,
    secret: 'test secret',
    name: COOKIE,
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: 3_600_000 },
    ...options,
  });
}

/** Serves `app` on a loopback port; `close` drops its open connections. */
export async function listen(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * An express 5 app with express-session over the store, on a loopback port. Routes:
 * /set?k=v, /get, /regenerate, /destroy, /reload, /save, /slow?ms=&k=v (holds the session
 * in memory for a while, then changes it), /reload-after?ms=.
 */
export async function startApp(
  store: SessionStore,
  options: Partial<session.SessionOptions> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(testSession(store, options));
  const values = (req: express.Request): Record<string, string> => (req.session.values ??= {});
  const report = (req: express.Request, res: express.Response, extra: object = {}): void => {
    res.json({ id: req.sessionID, values: req.session?.values ?? {}, ...extra });
  };

  app.get('/set', (req, res) => {
    Object.assign(values(req), req.query);
    report(req, res);
  });
  app.get('/get', (req, res) => report(req, res));
  app.get('/regenerate', (req, res, next) => {
    const before = req.sessionID;
    req.session.regenerate((err) => (err ? next(err) : report(req, res, { before })));
  });
  app.get('/destroy', (req, res) => {
    req.session.destroy((err) => res.json({ error: err ? String(err.message ?? err) : null }));
  });
  app.get('/reload', (req, res) => {
    req.session.reload((err) => res.json({ error: err ? String(err.message ?? err) : null, values: req.session?.values ?? {} }));
  });
  app.get('/save', (req, res) => {
    values(req).saved = 'yes';
    req.session.save((err) => res.json({ error: err ? String(err.message ?? err) : null }));
  });
  app.get('/slow', async (req, res) => {
    await sleep(Number(req.query.ms));
    const { ms: _ms, action, ...rest } = req.query as Record<string, string>;
    Object.assign(values(req), rest);
    const done = (err?: unknown): void => {
      res.json({ id: req.sessionID, error: err ? String((err as Error).message ?? err) : null });
    };
    if (action === 'reload') req.session.reload(done);
    else if (action === 'regenerate') req.session.regenerate(done);
    else if (action === 'destroy') req.session.destroy(done);
    else if (action === 'save') req.session.save(done);
    else done();
  });
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    // express-session saves as the response ends: a failed save arrives after the headers.
    if (res.headersSent) res.destroy(err);
    else res.status(500).json({ error: err.message });
  });
  return listen(app);
}

/** A browser-like client: keeps the session cookie between requests. */
export class Browser {
  cookie: string | undefined;
  constructor(private readonly base: string) {}

  async get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(this.base + path, { headers: this.cookie ? { cookie: this.cookie } : {} });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      if (pair.startsWith(`${COOKIE}=`)) this.cookie = pair;
    }
    return { status: response.status, body: (await response.json()) as T };
  }

  /** The session ID the cookie carries (signed as `s:<id>.<signature>`). */
  get sessionId(): string | undefined {
    const value = this.cookie ? decodeURIComponent(this.cookie.slice(COOKIE.length + 1)) : undefined;
    return value?.slice(2, value.lastIndexOf('.'));
  }
}
