import { expect } from 'chai';
import session from 'express-session';
import { MongoClient, type CommandStartedEvent, type Db, type Document } from 'mongodb';
import sinon from 'sinon';
import { Browser, startApp } from '../support/http';
import { v1Get, v1Set } from '../support/legacy-v1';
import { withProgress } from '../support/progress';
import { freshDb, serverUri } from '../support/server';
import { openStore, sessionWith, sleep, type SessionStore } from '../support/store';

type Body = { id: string; values: Record<string, string> };

/** A session as express-session hands it over: its cookie a real Cookie expiring in `ms`. */
function withCookie(ms: number, fields: object = {}): session.SessionData {
  const store = new session.MemoryStore();
  const sess = { cookie: { originalMaxAge: ms, expires: new Date(Date.now() + ms).toISOString(), path: '/', httpOnly: true }, ...fields };
  const req = {} as Parameters<typeof store.createSession>[0];
  store.createSession(req, sess as never);
  return { ...req.session } as unknown as session.SessionData;
}

async function stored(db: Db, sid: string): Promise<Document | null> {
  return db.collection('Sessions').findOne({ SessionID: sid });
}

describe('expiry: cookie, idle and absolute clocks', () => {
  afterEach(() => sinon.restore());

  describe('the cookie', () => {
    it('a session whose cookie expired is never returned, counted or listed, with TimeToLive 0', async () => {
      const db = freshDb();
      const store = await openStore(db);
      await store.set('alive', withCookie(60_000, { n: 1 }));
      await store.set('dying', withCookie(300, { n: 2 }));
      expect(await store.length()).to.equal(2);
      await sleep(400);
      expect(await store.get('dying')).to.equal(null);
      expect(await store.length()).to.equal(1);
      expect((await store.all()).map((s) => s.id)).to.deep.equal(['alive']);
      expect(await store.get('alive')).to.deep.include({ n: 1 });
    });

    it('200 sessions with expired cookies count 0, as in MemoryStore', async () => {
      const store = await openStore(freshDb());
      const memory = new session.MemoryStore();
      let i = 0;
      const storeAll = async (): Promise<void> => {
        for (; i < 200; i++) {
          const sess = withCookie(100, { i });
          await store.set(`s${i}`, sess);
          await new Promise<void>((resolve) => memory.set(`s${i}`, sess, () => resolve()));
        }
      };
      await withProgress('200 sessions stored one after another', storeAll, () => `${i} of 200 stored`);
      await sleep(150);
      const memoryLength = await new Promise<number>((resolve) => memory.length((_e, n) => resolve(n ?? -1)));
      expect([await store.length(), memoryLength]).to.deep.equal([0, 0]);
    });

    it('is stored in express-session’s JSON form, expires a BSON date, and read back in that form', async () => {
      const db = freshDb();
      const store = await openStore(db, { Filter: true });
      const sess = withCookie(60_000, { n: 1 });
      await store.set('s', sess);
      const doc = await stored(db, 's');
      expect(doc!.Data.cookie).not.to.have.property('_expires');
      expect(doc!.Data.cookie.expires).to.be.instanceOf(Date);
      expect(doc!.Expires).to.deep.equal(doc!.Data.cookie.expires);
      expect((await store.get('s'))!.cookie).to.deep.equal(
        JSON.parse(JSON.stringify(sess.cookie), (k, v) => (k === 'expires' ? new Date(v as string) : v)),
      );
      expect((await store.all())[0]!.cookie)
        .to.have.property('expires')
        .that.is.instanceOf(Date);
    });

    it('documents of 1.x and 2.0 (`_expires`) are read with `expires`, and their expiry is honoured', async () => {
      const db = freshDb();
      const sessions = db.collection('Sessions');
      const old = (ms: number) => ({ cookie: { originalMaxAge: ms, _expires: new Date(Date.now() + ms), path: '/', httpOnly: true } });
      await v1Set(sessions, 'v1-live', old(60_000));
      await v1Set(sessions, 'v1-dead', old(-1_000));
      await sessions.insertOne({ _id: 'v2-dead' as never, SessionID: 'v2-dead', Data: old(-1_000), LastAccessed: new Date() });
      const store = await openStore(db);
      const live = await store.get('v1-live');
      expect(live!.cookie).to.have.property('expires').that.is.instanceOf(Date);
      expect(live!.cookie).not.to.have.property('_expires');
      expect(await store.get('v1-dead')).to.equal(null);
      expect(await store.get('v2-dead')).to.equal(null);
      expect(await store.length()).to.equal(1);
    });

    it('with TimeToLive 0, a cookie without expiry and no MaxLifetime never expire, as in 1.x', async () => {
      const db = freshDb();
      const store = await openStore(db);
      await store.set('forever', sessionWith({ n: 1 }));
      expect(await stored(db, 'forever')).not.to.have.property('Expires');
      await db.collection('Sessions').updateOne({ SessionID: 'forever' }, { $set: { LastAccessed: new Date(0), Created: new Date(0) } });
      expect(await store.get('forever')).to.deep.include({ n: 1 });
    });

    it('expired sessions leave the collection by themselves (TTL index on Expires, or the sweeper)', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setInterval'] });
      const db = freshDb();
      const store = await openStore(db);
      const indexes = await db.collection('Sessions').listIndexes().toArray();
      const ttl = indexes.find((index) => index.key?.Expires === 1);
      await store.set('dead', withCookie(100));
      await store.set('alive', withCookie(60_000));
      await sleep(150);
      if (ttl) {
        expect(ttl.expireAfterSeconds).to.equal(0);
      } else {
        clock.tick(60_000);
        for (let i = 0; i < 50 && (await stored(db, 'dead')) !== null; i++) await sleep(50);
      }
      clock.restore();
      if (!ttl) expect(await stored(db, 'dead')).to.equal(null);
      expect(await stored(db, 'alive')).not.to.equal(null);
      await store.close();
    });
  });

  describe('touch', () => {
    it('stores the renewed cookie and its expiry in one write, without rewriting the rest', async () => {
      const client = new MongoClient(serverUri(), { monitorCommands: true });
      const sent: CommandStartedEvent[] = [];
      client.on('commandStarted', (event) => sent.push(event));
      await client.connect();
      const db = client.db(`esm_test_touch_cookie_${Date.now().toString(36)}`);
      try {
        const store = await openStore(db, { TimeToLive: 60 });
        await store.set('s', withCookie(1_000, { n: 1 }));
        sent.length = 0;
        const renewed = withCookie(60_000, { n: 999 });
        await store.touch('s', renewed);
        expect(sent.map((event) => event.commandName)).to.deep.equal(['update']);
        const doc = await db.collection('Sessions').findOne({ _id: 's' as never });
        expect(doc!.Data.n).to.equal(1);
        expect(doc!.Expires.getTime()).to.equal(new Date(renewed.cookie.expires!).getTime());
        expect(doc!.Data.cookie.expires.getTime()).to.equal(doc!.Expires.getTime());
        await sleep(1_100);
        expect(await store.get('s')).to.deep.include({ n: 1 });
      } finally {
        await db.dropDatabase();
        await client.close();
      }
    });

    it('a missing, flagged or expired session is not touched back to life, and no error is reported', async () => {
      const db = freshDb();
      const store = await openStore(db, { TimeToLive: 60 });
      await store.touch('missing', withCookie(60_000));
      expect(await stored(db, 'missing')).to.equal(null);
      await store.set('flagged', withCookie(60_000));
      await store.FlagDeletion('flagged');
      await store.touch('flagged', withCookie(60_000));
      expect(await store.get('flagged')).to.equal(null);
      await store.set('expired', withCookie(100));
      await sleep(150);
      await store.touch('expired', withCookie(60_000));
      expect(await store.get('expired')).to.equal(null);
      // Made idle by hand: a process that never saw it touches it.
      await store.set('idle', withCookie(60_000));
      await db.collection('Sessions').updateOne({ SessionID: 'idle' }, { $set: { LastAccessed: new Date(Date.now() - 61_000) } });
      await (await openStore(db, { TimeToLive: 60 })).touch('idle', withCookie(60_000));
      expect(await store.get('idle')).to.equal(null);
    });
  });

  describe('MaxLifetime', () => {
    it('ends a session that long after its creation, however active; set keeps the creation date', async () => {
      const db = freshDb();
      const store = await openStore(db, { MaxLifetime: 3600, TimeToLive: 600 });
      await store.set('s', withCookie(60_000, { n: 1 }));
      const created = (await stored(db, 's'))!.Created as Date;
      await store.set('s', withCookie(60_000, { n: 2 }));
      expect(((await stored(db, 's'))!.Created as Date).getTime()).to.equal(created.getTime());
      await db.collection('Sessions').updateOne({ SessionID: 's' }, { $set: { Created: new Date(Date.now() - 3_601_000) } });
      await store.touch('s', withCookie(60_000, { n: 2 }));
      expect(await store.get('s')).to.equal(null);
      expect(await store.length()).to.equal(0);
      expect(await store.all()).to.deep.equal([]);
    });

    it('is checked like every new option', async () => {
      for (const MaxLifetime of [-1, 1.5, '60']) {
        const err = await openStore(freshDb(), { MaxLifetime } as never).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(Error).with.property('message').that.includes('MaxLifetime');
      }
    });
  });

  describe('under parallel calls', () => {
    it('an idle-expired session is served by none of 120 parallel gets and touches, and is not revived', async () => {
      const db = freshDb();
      const stores: SessionStore[] = [await openStore(db, { TimeToLive: 60 }), await openStore(db, { TimeToLive: 60 })];
      await (await openStore(db, { TimeToLive: 60 })).set('s', withCookie(3_600_000, { n: 1 }));
      const idle = new Date(Date.now() - 61_000);
      await db.collection('Sessions').updateOne({ SessionID: 's' }, { $set: { LastAccessed: idle } });
      const results = await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          i % 3 === 2 ? stores[i % 2]!.touch('s', withCookie(3_600_000)).then(() => null) : stores[i % 2]!.get('s'),
        ),
      );
      expect(results.filter((r) => r !== null)).to.have.length(0);
      await sleep(1_200);
      expect(((await stored(db, 's'))!.LastAccessed as Date).getTime()).to.equal(idle.getTime());
    });
  });

  describe('a 1.x process sharing the collection', () => {
    it('reads 2.x sessions with the same meaning: express-session rebuilds the same cookie', async () => {
      const db = freshDb();
      const store = await openStore(db, { TimeToLive: 60 });
      const sess = withCookie(60_000, { n: 1 });
      await store.set('s', sess);
      const v1 = (await v1Get(db.collection('Sessions'), 's', { timeToLive: 60 })) as session.SessionData;
      const req = {} as Parameters<session.MemoryStore['createSession']>[0];
      new session.MemoryStore().createSession(req, v1 as never);
      expect(req.session.cookie.expires!.getTime()).to.equal(new Date(sess.cookie.expires!).getTime());
      expect(req.session.cookie.originalMaxAge).to.equal(60_000);
      expect(req.session).to.have.property('n', 1);
    });
  });

  describe('over HTTP', () => {
    let app: Awaited<ReturnType<typeof startApp>> | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    for (const [name, options] of [
      ['rolling: true', { rolling: true, cookie: { maxAge: 1_200 } }],
      ['resave: false with the touch renewing the cookie', { rolling: false, cookie: { maxAge: 1_200 } }],
    ] as const) {
      it(`a ${name} session lives as long as its cookie; a replayed expired cookie gets a new, empty session`, async () => {
        const store = await openStore(freshDb());
        app = await startApp(store, options);
        const browser = new Browser(app.url);
        const first = await browser.get<Body>('/set?a=1');
        for (let i = 0; i < 4; i++) {
          await sleep(500);
          const { body } = await browser.get<Body>('/get');
          expect(body).to.deep.equal({ id: first.body.id, values: { a: '1' } });
        }
        await sleep(1_300);
        const { body } = await browser.get<Body>('/get'); // the old cookie, replayed after its expiry
        expect(body.id).not.to.equal(first.body.id);
        expect(body.values).to.deep.equal({});
      });
    }

    it('parallel requests never bring an idle-expired session back, even with resave: true', async () => {
      const db = freshDb();
      const store = await openStore(db, { TimeToLive: 60 });
      app = await startApp(store, { resave: true });
      const browser = new Browser(app.url);
      const { body: first } = await browser.get<Body>('/set?a=1');
      await db.collection('Sessions').updateOne({ SessionID: first.id }, { $set: { LastAccessed: new Date(Date.now() - 61_000) } });
      const bodies = await Promise.all(
        Array.from({ length: 40 }, () =>
          fetch(`${app!.url}/get`, { headers: { cookie: browser.cookie! } }).then((r) => r.json() as Promise<Body>),
        ),
      );
      expect(bodies.filter((body) => body.id === first.id)).to.have.length(0);
      await sleep(1_200);
      expect(await store.get(first.id)).to.equal(null);
    });
  });
});
