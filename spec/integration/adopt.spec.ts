import { expect } from 'chai';
import type { Db } from 'mongodb';
import createStore = require('../../lib');
import { sessionHash } from '../../lib/stored/adopted';
import {
  connectMongo,
  CRYPTO_SECRET,
  OLD_KINDS,
  RoutedBrowser,
  startSwitchApp,
  type App,
  type OldKind,
  type OldStore,
} from '../support/adopt';
import { snippet } from '../support/snippets';
import { freshDb, isFerretDB, skipBecause } from '../support/server';
import { openStore, sessionWith, sleep, type Options, type SessionStore } from '../support/store';

/*
 * Issue 22: a fleet switching from connect-mongo 6 or connect-mongodb-session 5, one process
 * at a time. The real old stores and this one share their collection over HTTP, one browser's
 * requests alternating between an old app and a new one, started in either order.
 */

const sessions = (db: Db) => db.collection<{ _id: string } & Record<string, unknown>>('sessions');

async function startBoth(db: Db, kind: OldKind, order: string, options: Options = {}) {
  let old: OldStore;
  let store: SessionStore;
  const adopt = { Adopt: kind.adopt, ...options } as Options;
  if (order === 'old first') {
    old = await kind.open(db);
    store = await openStore(db, adopt);
  } else {
    store = await openStore(db, adopt);
    old = await kind.open(db);
  }
  return { old, store };
}

for (const kind of OLD_KINDS) {
  for (const order of ['old first', 'new first']) {
    describe(`switching from ${kind.name} (${order})`, () => {
      let db: Db;
      let old: OldStore;
      let store: SessionStore;
      let oldApp: App;
      let newApp: App;
      beforeEach(async () => {
        db = freshDb();
        ({ old, store } = await startBoth(db, kind, order));
        [oldApp, newApp] = await Promise.all([startSwitchApp(old), startSwitchApp(store as never)]);
      });
      afterEach(async () => {
        await Promise.all([oldApp.close(), newApp.close()]);
        await Promise.all([old.close(), store.close()]);
      });

      it('a session either app made is read, changed and destroyed by the other, in one document', async () => {
        for (const [first, second] of [
          [oldApp, newApp],
          [newApp, oldApp],
        ]) {
          const browser = new RoutedBrowser();
          await browser.get(first!, '/set?a=1');
          const sid = browser.sessionId!;
          expect((await browser.get(second!, '/get')).values).to.deep.equal({ a: '1' });
          await browser.get(second!, '/set?b=2');
          expect((await browser.get(first!, '/get')).values).to.deep.equal({ a: '1', b: '2' });
          // Written again by the first after the second wrote: the second sees that write.
          await browser.get(first!, '/set?c=3');
          expect((await browser.get(second!, '/get')).values).to.deep.equal({ a: '1', b: '2', c: '3' });
          await browser.get(second!, '/set?d=4');
          expect((await browser.get(first!, '/get')).values).to.deep.equal({ a: '1', b: '2', c: '3', d: '4' });
          expect(await sessions(db).countDocuments({ _id: sid })).to.equal(1);
          expect(browser.sessionId).to.equal(sid);

          await browser.get(second!, '/destroy');
          expect(await sessions(db).countDocuments({ _id: sid })).to.equal(0);
          expect((await browser.get(first!, '/get')).values).to.deep.equal({});
        }
      });

      it('a Passport login on either app is the same user on the other, and a logout on the other ends it', async () => {
        for (const [first, second] of [
          [oldApp, newApp],
          [newApp, oldApp],
        ]) {
          const browser = new RoutedBrowser();
          expect(await browser.get(first!, '/login?username=ada&password=x')).to.deep.equal({ user: 'ada' });
          expect(await browser.get(second!, '/whoami')).to.deep.equal({ user: 'ada' });
          await browser.get(second!, '/set?seen=1');
          expect(await browser.get(first!, '/whoami')).to.deep.equal({ user: 'ada' });
          await browser.get(second!, '/destroy');
          expect(await browser.get(first!, '/whoami')).to.deep.equal({ user: null });
        }
      });

      it('the written document holds both forms: theirs in their encoding, the expiry in `expires`', async () => {
        const browser = new RoutedBrowser();
        await browser.get(newApp, '/set?a=1');
        const doc = (await sessions(db).findOne({ _id: browser.sessionId! }))!;
        // Sealed: nothing of the session shows, and the old fleet's own options open it.
        if (kind.sealed) expect(doc.session).to.be.a('string').and.not.include('values');
        const text = kind.sealed ? await kind.sealed.open(doc.session as string) : doc.session;
        const theirs = typeof text === 'string' ? (JSON.parse(text) as Record<string, unknown>) : (text as Record<string, unknown>);
        expect(theirs.values).to.deep.equal({ a: '1' });
        expect(doc.Data).to.have.nested.property('values.a', '1');
        // The hash of what was written matches what is read back: this store's fields are served.
        expect(doc.SessionHash).to.equal(sessionHash(doc.session));
        expect(doc.expires).to.be.instanceOf(Date);
        expect(doc).not.to.have.property('Expires');
        expect(typeof doc.session).to.equal(kind.name === 'connect-mongo' || kind.sealed ? 'string' : 'object');
        if (kind.name.includes('timestamps')) {
          expect(doc.createdAt).to.be.instanceOf(Date);
          expect(doc.updatedAt).to.be.instanceOf(Date);
          expect(doc.lastModified).to.be.instanceOf(Date);
        }
      });

      // The order of start changes nothing a touch does: once, to spare the run 10 s a case.
      if (kind.touches && order === 'old first') {
        it("either side's touch keeps the session alive for both, past the cookie's first expiry", async function () {
          this.timeout(30_000);
          await Promise.all([oldApp.close(), newApp.close()]);
          // A 4 s cookie; each read renews it (express-session touches what it did not change).
          [oldApp, newApp] = await Promise.all([startSwitchApp(old, 4_000), startSwitchApp(store as never, 4_000)]);
          for (const [first, second] of [
            [oldApp, newApp],
            [newApp, oldApp],
          ]) {
            const browser = new RoutedBrowser();
            await browser.get(first!, '/set?a=1');
            const expiresAt = async () => ((await sessions(db).findOne({ _id: browser.sessionId! }))!.expires as Date).getTime();
            const before = await expiresAt();
            await sleep(2_500);
            expect((await browser.get(second!, '/get')).values).to.deep.equal({ a: '1' });
            expect(await expiresAt()).to.be.above(before + 2_000);
            await sleep(2_500);
            // Past the first expiry: alive for both through the second's touch.
            expect((await browser.get(first!, '/get')).values).to.deep.equal({ a: '1' });
            expect((await browser.get(second!, '/get')).values).to.deep.equal({ a: '1' });
          }
        });
      }
    });
  }
}

describe('Adopt with SharedWith1x: false ({ _id } lookups alone)', () => {
  it('shares sessions with connect-mongo both ways, as with the default', async () => {
    const db = freshDb();
    const { old, store } = await startBoth(db, OLD_KINDS[0]!, 'old first', { SharedWith1x: false });
    const [oldApp, newApp] = await Promise.all([startSwitchApp(old), startSwitchApp(store as never)]);
    try {
      for (const [first, second] of [
        [oldApp, newApp],
        [newApp, oldApp],
      ]) {
        const browser = new RoutedBrowser();
        await browser.get(first!, '/set?a=1');
        await browser.get(second!, '/set?b=2');
        expect((await browser.get(first!, '/get')).values).to.deep.equal({ a: '1', b: '2' });
        expect(await sessions(db).countDocuments({ _id: browser.sessionId! })).to.equal(1);
      }
    } finally {
      await Promise.all([oldApp.close(), newApp.close()]);
      await Promise.all([old.close(), store.close()]);
    }
  });
});

describe('Adopt, once the old processes are gone (writeTheirs: false)', () => {
  it('serves their sessions still, and writes nothing of their form any more', async () => {
    const db = freshDb();
    const old = await OLD_KINDS[0]!.open(db);
    const oldApp = await startSwitchApp(old);
    const browser = new RoutedBrowser();
    await browser.get(oldApp, '/set?a=1');
    await oldApp.close();
    const store = await openStore(db, { Adopt: { from: 'connect-mongo', writeTheirs: false } });
    const newApp = await startSwitchApp(store as never);
    try {
      expect((await browser.get(newApp, '/get')).values).to.deep.equal({ a: '1' });
      await browser.get(newApp, '/set?b=2');
      const doc = (await sessions(db).findOne({ _id: browser.sessionId! }))!;
      expect(doc).not.to.have.any.keys('session', 'SessionHash', 'lastModified', 'updatedAt');
      expect(doc.expires).to.be.instanceOf(Date);
      expect((await browser.get(newApp, '/get')).values).to.deep.equal({ a: '1', b: '2' });
      const fresh = new RoutedBrowser();
      await fresh.get(newApp, '/set?c=3');
      expect(await sessions(db).findOne({ _id: fresh.sessionId! })).not.to.have.property('session');
    } finally {
      await newApp.close();
      await store.close();
    }
  });
});

describe('Adopt: their documents as they are', () => {
  it('counts and lists their sessions, honours their `expires`, and falls back on their ttl where the cookie has none', async () => {
    const db = freshDb();
    const store = await openStore(db, { Adopt: { from: 'connect-mongo', ttl: 600 } });
    const cookie = { originalMaxAge: null, path: '/', httpOnly: true };
    await sessions(db).insertMany([
      { _id: 'live', session: JSON.stringify({ cookie, n: 1 }), expires: new Date(Date.now() + 60_000) },
      { _id: 'ended', session: JSON.stringify({ cookie, n: 2 }), expires: new Date(Date.now() - 1_000) },
    ]);
    expect(await store.get('live')).to.deep.equal({ cookie, n: 1 });
    expect(await store.get('ended')).to.equal(null);
    expect(await store.length()).to.equal(1);
    expect(await store.all()).to.deep.equal([{ cookie, n: 1, id: 'live' }]);
    const before = Date.now();
    await store.set('browser-session', sessionWith({ n: 3 }));
    const expires = ((await sessions(db).findOne({ _id: 'browser-session' }))!.expires as Date).getTime();
    expect(expires).to.be.within(before + 600_000, Date.now() + 600_000);
    await store.close();
  });

  it('a `session` that is not JSON, or a document of neither form, fails get with an error saying so', async () => {
    const db = freshDb();
    const store = await openStore(db, { Adopt: 'connect-mongo' });
    const expires = new Date(Date.now() + 60_000);
    await sessions(db).insertMany([
      { _id: 'not-json', session: '{"cookie":', expires },
      { _id: 'neither', session: 42, expires },
    ]);
    const failure = (sid: string) =>
      store.get(sid).then(
        () => null,
        (err: unknown) => err,
      );
    expect(await failure('not-json'))
      .to.be.instanceOf(TypeError)
      .with.property('message')
      .that.matches(/'session' is a string but not JSON/);
    expect(await failure('neither'))
      .to.be.instanceOf(TypeError)
      .with.property('message')
      .that.matches(/no session object/);
    await store.close();
  });

  it('ends the sessions this store wrote before Adopt at their `Expires`, and writes `expires` instead from then on', async () => {
    const db = freshDb();
    const before = await openStore(db, { CollectionName: 'sessions' });
    const cookie = (ms: number) => ({ path: '/', httpOnly: true, originalMaxAge: ms, expires: new Date(Date.now() + ms) });
    await before.set('ended', sessionWith({ cookie: cookie(-1_000) }));
    await before.set('live', sessionWith({ cookie: cookie(60_000) }));
    const store = await openStore(db, { Adopt: 'connect-mongo' });
    expect(await store.get('ended')).to.equal(null);
    expect(await store.get('live')).to.have.property('cookie');
    await store.set('live', sessionWith({ cookie: cookie(120_000) }));
    const doc = (await sessions(db).findOne({ _id: 'live' }))!;
    expect(doc).not.to.have.property('Expires');
    expect((doc.expires as Date).getTime()).to.be.above(Date.now() + 100_000);
    await Promise.all([before.close(), store.close()]);
  });

  it('refuses unknown keys and crypto options it cannot honour, through the createStore callback', async () => {
    const db = freshDb();
    const failures: Array<[unknown, RegExp]> = [
      [{ from: 'connect-mongo', ttll: 1 }, /unknown key 'ttll' for connect-mongo; it takes from, ttl/],
      [{ from: 'connect-mongo', collectionName: 'x' }, /CollectionName option/],
      [{ from: 'connect-mongodb-session', ttl: 1 }, /unknown key 'ttl' for connect-mongodb-session/],
      [{ from: 'connect-mongodb-session', crypto: { secret: 's' } }, /unknown key 'crypto' for connect-mongodb-session/],
      [{ from: 'connect-mongo', crypto: { secret: 's', algorithm: 'aes-256-cbc' } }, /crypto\.algorithm must be one of/],
      [{ from: 'connect-mongo', cryptoAdapter: {} }, /cryptoAdapter must be the adapter connect-mongo was given/],
      [{ from: 'connect-redis' }, /'from' must be 'connect-mongo' or 'connect-mongodb-session'/],
      ['connect-mongo-x', /'from' must be/],
      [{ from: 'connect-mongo', ttl: -1 }, /ttl must be a number over 0/],
      [{ from: 'connect-mongo', stringify: 'no' }, /stringify must be true or false/],
    ];
    for (const [Adopt, message] of failures) {
      const err = await new Promise<Error | null>((resolve) => createStore(db, (e) => resolve(e), { Adopt } as Options));
      // A RangeError where the value's kind is right but not its value (crypto's algorithm).
      expect(err?.constructor, JSON.stringify(Adopt)).to.be.oneOf([TypeError, RangeError]);
      expect(err!.message, JSON.stringify(Adopt))
        .to.match(/^Option Adopt[:.]/)
        .and.match(message);
    }
  });

  it('on a collection they never ran on, works as usual; without Adopt, nothing of theirs is written', async () => {
    const db = freshDb();
    const adopted = await openStore(db, { Adopt: 'connect-mongodb-session' });
    await adopted.set('a', sessionWith({ n: 1 }));
    expect(await adopted.get('a')).to.deep.equal(sessionWith({ n: 1 }));
    expect(await adopted.length()).to.equal(1);
    await adopted.destroy('a');
    expect(await adopted.get('a')).to.equal(null);
    const plain = await openStore(db);
    await plain.set('b', sessionWith({ n: 2 }));
    const doc = (await db.collection('Sessions').findOne({}))!;
    expect(doc).not.to.have.any.keys('session', 'expires', 'SessionHash');
    await Promise.all([adopted.close(), plain.close()]);
  });
});

/** The kinds whose index and user cases run: connect-mongo plain and sealed, and connect-mongodb-session. */
const ONE_OF_EACH = OLD_KINDS.filter((kind) => ['connect-mongo', 'connect-mongo (crypto)', 'connect-mongodb-session'].includes(kind.name));

describe("Adopt: connect-mongo's encrypted sessions", () => {
  const crypto = OLD_KINDS.find((kind) => kind.name === 'connect-mongo (crypto)')!;

  it('reads a session sealed with another secret as missing: a new session over HTTP, nothing served', async () => {
    const db = freshDb();
    const { old, store } = await startBoth(db, crypto, 'old first', { Adopt: { from: 'connect-mongo', crypto: { secret: 'not it' } } });
    const [oldApp, newApp] = await Promise.all([startSwitchApp(old), startSwitchApp(store as never)]);
    try {
      const browser = new RoutedBrowser();
      const made = await browser.get(oldApp, '/set?secret=kept');
      expect(await store.get(made.id)).to.equal(null);
      const served = await browser.get(newApp, '/get');
      expect(served.values).to.deep.equal({});
      expect(served.id).not.to.equal(made.id);
    } finally {
      await Promise.all([oldApp.close(), newApp.close()]);
      await Promise.all([old.close(), store.close()]);
    }
  });

  it('goes with EncryptionKeys while their field is written, as it is sealed too: neither field shows the session', async () => {
    const db = freshDb();
    const options = { EncryptionKeys: ['a key of this store, 32 characters or more'] } as Options;
    const { old, store } = await startBoth(db, crypto, 'new first', options);
    const [oldApp, newApp] = await Promise.all([startSwitchApp(old), startSwitchApp(store as never)]);
    try {
      const browser = new RoutedBrowser();
      await browser.get(newApp, '/set?card=MARKER-4242');
      const doc = (await sessions(db).findOne({ _id: browser.sessionId! }))!;
      expect(JSON.stringify(doc)).not.to.include('MARKER');
      expect((await browser.get(oldApp, '/get')).values).to.deep.equal({ card: 'MARKER-4242' });
    } finally {
      await Promise.all([oldApp.close(), newApp.close()]);
      await Promise.all([old.close(), store.close()]);
    }
  });
});

describe('Adopt with UserKey', () => {
  for (const kind of ONE_OF_EACH) {
    it(`lists and revokes the sessions a ${kind.name} app logged in, before this store ever wrote them`, async () => {
      const db = freshDb();
      const old = await kind.open(db);
      const store = await openStore(db, { Adopt: kind.adopt, UserKey: 'passport.user' } as Options);
      const [oldApp, newApp] = await Promise.all([startSwitchApp(old), startSwitchApp(store as never)]);
      try {
        const [laptop, phone, other] = [new RoutedBrowser(), new RoutedBrowser(), new RoutedBrowser()];
        await laptop.get(oldApp, '/login?username=ada&password=x');
        await phone.get(newApp, '/login?username=ada&password=x');
        await other.get(oldApp, '/login?username=bob&password=x');
        expect((await store.UserSessions('ada')).map((s) => s.id).sort()).to.deep.equal([laptop.sessionId, phone.sessionId].sort());
        // The phone's session, written by the old app after this store: its user is read from there.
        await phone.get(oldApp, '/set?x=1');
        expect(await store.UserSessions('bob')).to.have.lengthOf(1);
        expect(await store.FlagUserSessions('ada', phone.sessionId!)).to.equal(1);
        for (const app of [oldApp, newApp]) {
          expect(await laptop.get(app, '/whoami')).to.deep.equal({ user: null });
          expect(await phone.get(app, '/whoami')).to.deep.equal({ user: 'ada' });
          expect(await other.get(app, '/whoami')).to.deep.equal({ user: 'bob' });
        }
        expect((await store.UserSessions('ada')).map((s) => s.id)).to.deep.equal([phone.sessionId]);
      } finally {
        await Promise.all([oldApp.close(), newApp.close()]);
        await Promise.all([old.close(), store.close()]);
      }
    });
  }
});

describe('Adopt: their TTL index on `expires`', () => {
  for (const kind of ONE_OF_EACH) {
    for (const order of ['old first', 'new first']) {
      it(`is kept as it is, and is the one index on expires (${kind.name}, ${order})`, async function () {
        if (isFerretDB()) skipBecause(this, 'FerretDB v1 keeps no TTL index: their processes run without one there');
        const db = freshDb();
        const { old, store } = await startBoth(db, kind, order);
        try {
          const indexes = await sessions(db).listIndexes().toArray();
          const onExpires = indexes.filter((index) => JSON.stringify(index.key) === '{"expires":1}');
          expect(onExpires.map((index) => [index.name, index.expireAfterSeconds])).to.deep.equal([['expires_1', 0]]);
          expect(indexes.map((index) => index.name)).not.to.include('Expires_1');
        } finally {
          await Promise.all([old.close(), store.close()]);
        }
      });
    }
  }
});

/** Runs a snippet of docs/switching-from-connect-mongo.md, `client.db()` being `db`. */
function runSnippet(name: string, db: Db): Promise<SessionStore> {
  return new Promise((resolve, reject) => {
    const callback = (err: Error | null, store?: SessionStore): void => (err ? reject(err) : resolve(store!));
    new Function('createStore', 'client', 'callback', snippet(name))(createStore, { db: () => db }, callback);
  });
}

describe("docs/switching-from-connect-mongo.md's snippets, beside connect-mongo run with the same options", () => {
  it("adopt-connect-mongo and adopt-after-switch: during the switch both forms are written, with their ttl; after it, only this store's", async () => {
    const db = freshDb();
    const old = await connectMongo({ stringify: false, ttl: 3600 })(db);
    const during = await runSnippet('adopt-connect-mongo', db);
    // Browser-session cookies: `expires` comes from ttl, on either side.
    const [oldApp, newApp] = await Promise.all([startSwitchApp(old, null), startSwitchApp(during as never, null)]);
    const browser = new RoutedBrowser();
    const expiresIn = async () => ((await sessions(db).findOne({ _id: browser.sessionId! }))!.expires as Date).getTime() - Date.now();
    try {
      await browser.get(oldApp, '/set?a=1');
      expect(await expiresIn()).to.be.within(3_590_000, 3_600_000);
      expect((await browser.get(newApp, '/set?b=2')).values).to.deep.equal({ a: '1', b: '2' });
      expect(await expiresIn()).to.be.within(3_590_000, 3_600_000);
      expect((await sessions(db).findOne({ _id: browser.sessionId! }))!.session).to.have.deep.property('values', { a: '1', b: '2' });
      expect((await browser.get(oldApp, '/get')).values).to.deep.equal({ a: '1', b: '2' });
    } finally {
      await Promise.all([oldApp.close(), newApp.close()]);
      await during.close();
    }
    const after = await runSnippet('adopt-after-switch', db);
    const afterApp = await startSwitchApp(after as never, null);
    try {
      expect((await browser.get(afterApp, '/set?c=3')).values).to.deep.equal({ a: '1', b: '2', c: '3' });
      const doc = (await sessions(db).findOne({ _id: browser.sessionId! }))!;
      expect(doc).not.to.have.any.keys('session', 'SessionHash');
      expect(doc.expires).to.be.instanceOf(Date);
    } finally {
      await afterApp.close();
      await after.close();
    }
  });

  it('adopt-crypto: the sessions connect-mongo sealed with crypto are served, and what this store writes it opens', async () => {
    const db = freshDb();
    process.env.SESSION_CRYPTO_SECRET = CRYPTO_SECRET;
    const old = await connectMongo({ crypto: { secret: CRYPTO_SECRET } })(db);
    const store = await runSnippet('adopt-crypto', db).finally(() => delete process.env.SESSION_CRYPTO_SECRET);
    const [oldApp, newApp] = await Promise.all([startSwitchApp(old), startSwitchApp(store as never)]);
    const browser = new RoutedBrowser();
    try {
      await browser.get(oldApp, '/set?a=MARKER-1');
      expect((await browser.get(newApp, '/set?b=2')).values).to.deep.equal({ a: 'MARKER-1', b: '2' });
      expect(JSON.stringify((await sessions(db).findOne({ _id: browser.sessionId! }))!.session)).not.to.include('MARKER');
      expect((await browser.get(oldApp, '/get')).values).to.deep.equal({ a: 'MARKER-1', b: '2' });
    } finally {
      await Promise.all([oldApp.close(), newApp.close()]);
      await store.close();
    }
  });
});
