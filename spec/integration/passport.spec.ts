import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import type { Db } from 'mongodb';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import createStore = require('../../lib');
import { Browser, COOKIE } from '../support/http';
import { freshDb } from '../support/server';
import type { SessionStore } from '../support/store';
import { snippet } from '../support/snippets';

/**
 * The docs' Passport recipes, run as written with Passport 0.7 and passport-local over
 * HTTP: `serializeUser` returning the user's id (UserKey 'passport.user') and returning an
 * object (UserKey 'passport.user.id'); and the object under 'passport.user', which fails every
 * login with an error naming the fix.
 */

interface User {
  id: string;
  name: string;
  password: string;
}

const USERS: User[] = [{ id: 'u-1', name: 'Ada', password: 'secret-password' }];

function findUser(id: unknown, done: (err: Error | null, user?: User | false) => void): void {
  setImmediate(done, null, USERS.find((user) => user.id === id) ?? false);
}

/** Runs the snippet with Passport and the store's arguments in scope; its store once ready. */
function runRecipe(code: string, passport: InstanceType<typeof Passport>, db: Db): Promise<SessionStore> {
  return new Promise((resolve, reject) => {
    const callback = (err: Error | null, store?: SessionStore): void => (err ? reject(err) : resolve(store!));
    new Function('passport', 'createStore', 'db', 'callback', 'findUser', code)(passport, createStore, db, callback, findUser);
  });
}

async function startPassportApp(passport: InstanceType<typeof Passport>, store: SessionStore) {
  passport.use(
    new LocalStrategy((username, password, done) => {
      const user = USERS.find((u) => u.name === username && u.password === password);
      done(null, user ?? false);
    }),
  );
  const app = express();
  // A refused login's session is saved again as the response ends; express-session hands that
  // second failure to express's final handler, which would print it outside the test env.
  app.set('env', 'test');
  app.use(session({ store, secret: 'test secret', name: COOKIE, resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.get('/login', passport.authenticate('local', { failWithError: true }), (req, res) => res.json({ user: (req.user as User).id }));
  app.get('/whoami', (req, res) => res.json({ user: (req.user as User | undefined)?.id ?? null }));
  app.get('/logout-everywhere-else', (req, res, next) => {
    store.FlagUserSessions((req.user as User).id, req.sessionID, (err, count) => (err ? next(err) : res.json({ count })));
  });
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    // express-session tries its save again as the response ends, after the headers.
    if (res.headersSent) res.destroy();
    else res.status(500).json({ error: err.message });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const LOGIN = '/login?username=Ada&password=secret-password';

describe("the docs' Passport recipes (Passport 0.7, passport-local, over HTTP)", () => {
  for (const recipe of ['passport-id', 'passport-object']) {
    it(`${recipe}: logins succeed, the user's sessions are listed and signed out everywhere else`, async () => {
      const passport = new Passport();
      const db = freshDb();
      const store = await runRecipe(snippet(recipe), passport, db);
      const app = await startPassportApp(passport, store);
      try {
        const [laptop, phone] = [new Browser(app.url), new Browser(app.url)];
        for (const device of [laptop, phone]) {
          const login = await device.get(LOGIN);
          expect(login, recipe).to.deep.equal({ status: 200, body: { user: 'u-1' } });
        }
        const kept = await db
          .collection('Sessions')
          .find({}, { projection: { _id: 0, User: 1 } })
          .toArray();
        expect(kept).to.deep.equal([{ User: 'u-1' }, { User: 'u-1' }]);
        expect((await store.UserSessions('u-1')).map((s) => s.id).sort()).to.deep.equal([laptop.sessionId, phone.sessionId].sort());
        expect((await laptop.get('/logout-everywhere-else')).body).to.deep.equal({ count: 1 });
        expect((await phone.get('/whoami')).body).to.deep.equal({ user: null });
        expect((await laptop.get('/whoami')).body).to.deep.equal({ user: 'u-1' });
      } finally {
        await app.close();
        await store.close();
      }
    });
  }

  it("serializeUser returning an object under UserKey 'passport.user': every login fails, and the error names the fix", async () => {
    const passport = new Passport();
    const objectShape = snippet('passport-object').replace("UserKey: 'passport.user.id'", "UserKey: 'passport.user'");
    expect(objectShape).to.include("UserKey: 'passport.user' }");
    const db = freshDb();
    const store = await runRecipe(objectShape, passport, db);
    const app = await startPassportApp(passport, store);
    try {
      const { status, body } = await new Browser(app.url).get<{ error: string }>(LOGIN);
      expect(status).to.equal(500);
      expect(body.error)
        .to.include("UserKey 'passport.user.id'")
        .and.match(/or a function of the session/);
      expect(body.error).not.to.include('Ada');
      expect(await db.collection('Sessions').countDocuments({})).to.equal(0);
    } finally {
      await app.close();
      await store.close();
    }
  });
});
