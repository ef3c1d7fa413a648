import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Browser, COOKIE } from '../support/http';
import { freshDb } from '../support/server';
import { snippet } from '../support/snippets';
import { openStore, sleep, type SessionStore } from '../support/store';

/**
 * "Log out everywhere" over HTTP: a user signed in on three devices revokes the other two
 * while each of them has a slow request in flight; when those requests end and save the
 * sessions they hold, the revoked sessions stay revoked.
 */

declare module 'express-session' {
  interface SessionData {
    passport?: { user: string };
    note?: string;
    late?: string;
  }
}

interface Held {
  /** Resolves once the request has its session and waits. */
  arrived: Promise<void>;
  release(): void;
}

async function startUserApp(store: SessionStore): Promise<{ url: string; hold(name: string): Held; close(): Promise<void> }> {
  const holds = new Map<string, { arrive(): void; gate: Promise<void>; release(): void }>();
  const app = express();
  app.use(session({ store, secret: 'test secret', name: COOKIE, resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  // As Passport 0.6 and later: a new session ID at login. `maxAge` (ms): that device's cookie.
  app.get('/login', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.passport = { user: String(req.query.user) };
      if (req.query.maxAge) req.session.cookie.maxAge = Number(req.query.maxAge);
      res.json({ id: req.sessionID });
    });
  });
  app.get('/logout', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.json({ out: true }))));
  app.get('/whoami', (req, res) =>
    res.json({ id: req.sessionID, user: req.session.passport?.user ?? null, note: req.session.note ?? null }),
  );
  // Holds the session in memory until released, then changes it: express-session saves it as the response ends.
  app.get('/slow', async (req, res) => {
    const held = holds.get(String(req.query.name))!;
    held.arrive();
    await held.gate;
    req.session.late = String(req.query.name); // a property the stored session lacks
    req.session.note = 'written late';
    res.json({ id: req.sessionID });
  });
  // After a password change: revoke every other session of the user, in 1.x's callback style.
  app.get('/logout-everywhere', (req, res, next) => {
    store.FlagUserSessions(req.session.passport!.user, req.sessionID, (err, count) => (err ? next(err) : res.json({ count })));
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold(name) {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const gate = new Promise<void>((resolve) => (release = resolve));
      holds.set(name, { arrive, gate, release });
      return { arrived, release };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('revocation over HTTP (FlagUserSessions)', () => {
  const cases = [
    { DeleteFlags: false, removed: false },
    { DeleteFlags: true, removed: false },
    // As the session's own expiry, or 1.x's Cleanup, can remove them while requests still hold them.
    { DeleteFlags: false, removed: true },
    { DeleteFlags: true, removed: true },
  ];
  for (const { DeleteFlags, removed } of cases) {
    const title = `DeleteFlags ${DeleteFlags}${removed ? ', revoked documents removed before the requests end' : ''}`;
    it(`${title}: devices 2 and 3 are logged out for good, though each had a request in flight that saved its session; device 1 stays`, async () => {
      const db = freshDb();
      const store = await openStore(db, { UserKey: 'passport.user', DeleteFlags, TimeToLive: 3600 });
      const app = await startUserApp(store);
      try {
        const devices = [new Browser(app.url), new Browser(app.url), new Browser(app.url)] as const;
        for (const device of devices) await device.get('/login?user=alice');
        const ids = devices.map((device) => device.sessionId!);
        expect(new Set(ids).size).to.equal(3);
        expect((await store.UserSessions('alice')).map((s) => s.id).sort()).to.deep.equal([...ids].sort());

        const holds = [app.hold('two'), app.hold('three')];
        const inFlight = [devices[1].get('/slow?name=two'), devices[2].get('/slow?name=three')];
        await Promise.all(holds.map((held) => held.arrived));

        expect((await devices[0].get('/logout-everywhere')).body).to.deep.equal({ count: 2 });
        if (removed) expect((await db.collection('Sessions').deleteMany({ Delete: true })).deletedCount).to.equal(2);
        for (const held of holds) held.release();
        for (const response of await Promise.all(inFlight)) expect(response.status).to.equal(200);

        for (const [k, device] of [devices[1], devices[2]].entries()) {
          const { body } = await device.get('/whoami');
          expect(body, `device ${k + 2}`).to.deep.include({ user: null, note: null });
          expect(body.id, `device ${k + 2}`).to.not.equal(ids[k + 1]);
        }
        expect((await devices[0].get('/whoami')).body).to.deep.equal({ id: ids[0], user: 'alice', note: null });
        expect((await store.UserSessions('alice')).map((s) => s.id)).to.deep.equal([ids[0]]);
        for (const sid of ids.slice(1)) expect(await store.get(sid)).to.equal(null);
      } finally {
        await app.close();
        await store.close();
      }
    });
  }
});

describe('revocation of sessions that have just ended (FlagUserSessions)', () => {
  // Ended a moment ago, still in the collection (neither the TTL monitor nor the sweeper has
  // run yet), and held by a request that read it live: its save renews the cookie.
  const clocks = [
    { clock: 'cookie', options: {}, maxAge: 1_000 },
    { clock: 'TimeToLive', options: { TimeToLive: 3600 }, maxAge: undefined },
  ];
  for (const { clock, options, maxAge } of clocks) {
    for (const DeleteFlags of [false, true]) {
      it(`${clock} ran out, DeleteFlags ${DeleteFlags}: revoked and counted, and the request in flight does not bring it back`, async () => {
        const db = freshDb();
        const store = await openStore(db, { UserKey: 'passport.user', DeleteFlags, ...options });
        const app = await startUserApp(store);
        try {
          const [one, two] = [new Browser(app.url), new Browser(app.url)] as const;
          await one.get('/login?user=alice');
          await two.get(`/login?user=alice${maxAge ? `&maxAge=${maxAge}` : ''}`);
          const [id1, id2] = [one.sessionId!, two.sessionId!];
          const held = app.hold('two');
          const inFlight = two.get('/slow?name=two');
          inFlight.catch(() => {}); // awaited below; refused only when a check fails first and the app closes
          await held.arrived;
          if (maxAge) await sleep(maxAge + 200);
          else {
            await sleep(2_300); // the get's deferred refresh of LastAccessed has gone out
            await db.collection('Sessions').updateOne({ _id: id2 as never }, { $set: { LastAccessed: new Date(Date.now() - 7_200_000) } });
          }
          expect(await store.get(id2), 'ended').to.equal(null);

          expect((await one.get('/logout-everywhere')).body).to.deep.equal({ count: 1 });
          held.release();
          expect((await inFlight).status).to.equal(200);

          expect(await db.collection('Sessions').findOne({ SessionID: id2 })).to.deep.include({ Delete: true });
          expect(await store.get(id2)).to.equal(null);
          expect((await store.UserSessions('alice')).map((s) => s.id)).to.deep.equal([id1]);
          const { body } = await two.get('/whoami');
          expect(body).to.deep.include({ user: null, note: null });
          expect(body.id).to.not.equal(id2);
          expect((await one.get('/whoami')).body).to.deep.include({ id: id1, user: 'alice' });
        } finally {
          await app.close();
          await store.close();
        }
      });
    }
  }
});

describe('logout in one tab while a request of another tab runs (UserKey)', () => {
  // How the session went, in this process, before the other tab's request saves it.
  const ways = [
    { way: 'destroyed by this tab', DeleteFlags: false },
    { way: 'destroyed by this tab', DeleteFlags: true },
    { way: 'destroyed by another process, then read as missing here', DeleteFlags: false },
    { way: 'flagged by another process, read as flagged here, then removed', DeleteFlags: false },
  ];
  for (const { way, DeleteFlags } of ways) {
    it(`${way} (DeleteFlags ${DeleteFlags}): the held request's save does not log the user back in; a new login still works`, async () => {
      const db = freshDb();
      const options = { UserKey: 'passport.user', DeleteFlags };
      const store = await openStore(db, options);
      const other = await openStore(db, options);
      const app = await startUserApp(store);
      try {
        const tab = new Browser(app.url);
        await tab.get('/login?user=alice');
        const sid = tab.sessionId!;
        const slowTab = new Browser(app.url);
        slowTab.cookie = tab.cookie;
        const held = app.hold('slow');
        const inFlight = slowTab.get('/slow?name=slow');
        inFlight.catch(() => {}); // awaited below; refused only when a check fails first and the app closes
        await held.arrived;

        if (way.startsWith('destroyed by this tab')) {
          expect((await tab.get('/logout')).body).to.deep.equal({ out: true });
        } else {
          if (way.startsWith('destroyed')) await other.destroy(sid);
          else expect(await other.FlagDeletion(sid)).to.equal(1);
          expect((await tab.get('/whoami')).body).to.deep.include({ user: null });
          if (way.startsWith('flagged')) expect(await other.Cleanup()).to.equal(1);
        }
        held.release();
        expect((await inFlight).status).to.equal(200);

        const left = await db.collection('Sessions').findOne({ SessionID: sid });
        if (DeleteFlags) expect(left).to.deep.include({ Delete: true });
        else expect(left).to.equal(null);
        expect(await store.get(sid)).to.equal(null);
        expect(await store.UserSessions('alice')).to.deep.equal([]);
        expect((await slowTab.get('/whoami')).body).to.deep.include({ user: null });

        // express-session's own new sessions (regenerate at login) are stored as ever.
        await tab.get('/login?user=alice');
        expect(tab.sessionId).to.not.equal(sid);
        expect((await store.UserSessions('alice')).map((s) => s.id)).to.deep.equal([tab.sessionId]);
        expect((await tab.get('/whoami')).body).to.deep.include({ user: 'alice' });
      } finally {
        await app.close();
        await store.close();
        await other.close();
      }
    });
  }
});

describe("the docs' log-out-everywhere recipes", () => {
  for (const name of ['logout-everywhere-callback', 'logout-everywhere-async']) {
    it(`${name} works as written: the other device is signed out, this one stays`, async () => {
      const store = await openStore(freshDb(), { UserKey: 'passport.user' });
      const App = express();
      App.use(express.urlencoded({ extended: false }));
      App.use(session({ store, secret: 'test secret', name: COOKIE, resave: false, saveUninitialized: false }));
      App.get('/login', (req, res) => {
        req.session.passport = { user: 'alice' };
        res.json({ id: req.sessionID });
      });
      App.get('/whoami', (req, res) => res.json({ user: req.session.passport?.user ?? null }));
      const changed: string[] = [];
      const changePassword = (user: string, password: string, cb: (err: Error | null) => void): void => {
        changed.push(`${user}:${password}`);
        setImmediate(cb, null);
      };
      const changePasswordAsync = (user: string, password: string): Promise<void> =>
        new Promise((resolve, reject) => changePassword(user, password, (err) => (err ? reject(err) : resolve())));
      new Function('App', 'Store', 'changePassword', 'changePasswordAsync', snippet(name))(App, store, changePassword, changePasswordAsync);
      const server: Server = await new Promise((resolve) => {
        const s = App.listen(0, '127.0.0.1', () => resolve(s));
      });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const [mine, other] = [new Browser(url), new Browser(url)];
        await mine.get('/login');
        await other.get('/login');
        const response = await fetch(`${url}/password`, {
          method: 'POST',
          headers: { cookie: mine.cookie!, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'password=n3w',
        });
        expect(await response.text()).to.equal('Password changed; 1 other sessions signed out');
        expect(changed).to.deep.equal(['alice:n3w']);
        expect((await mine.get('/whoami')).body).to.deep.equal({ user: 'alice' });
        expect((await other.get('/whoami')).body).to.deep.equal({ user: null });
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await store.close();
      }
    });
  }
});
