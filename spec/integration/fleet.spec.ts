import { expect } from 'chai';
import type { Db } from 'mongodb';
import { Browser, startApp } from '../support/http';
import { freshDb } from '../support/server';
import { openStore, sessionWith, sleep, type SessionStore } from '../support/store';
import { openV1Store, v1 } from '../support/v1-adapter';

/*
 * A fleet upgraded one process at a time: the registry's express-session-mongodb 1.3.3
 * (the real 1.x code, over today's driver through spec/support/v1-adapter.ts) and 2.x
 * share one collection, started in either order.
 */

type V1 = ReturnType<typeof v1>;

async function startFleet(
  db: Db,
  order: string,
  options: { IndexSessionID: boolean; Filter: boolean; DeleteFlag?: boolean; TimeToLive?: number },
) {
  let old: V1;
  let store: SessionStore;
  if (order === '1.x first') {
    old = v1(await openV1Store(db, options));
    store = await openStore(db, options);
  } else {
    store = await openStore(db, options);
    old = v1(await openV1Store(db, options));
  }
  return { old, store };
}

async function copies(db: Db, sid: string): Promise<number> {
  return db.collection('Sessions').countDocuments({ SessionID: sid });
}

for (const order of ['1.x first', '2.x first']) {
  for (const IndexSessionID of [false, true]) {
    for (const Filter of [false, true]) {
      // Names each side stores and reads back; with Filter, names 1.x itself round-trips.
      const fields = (n: number) => (Filter ? { n, 'x-csrf-token': `t${n}`, 'user.name': 'ann', $role: 'admin' } : { n, 'x-y-z': 'plain' });
      const session = (n: number) => sessionWith(fields(n));

      describe(`a fleet of 1.x and 2.x (${order}, IndexSessionID ${IndexSessionID}, Filter ${Filter})`, () => {
        let db: Db;
        let old: V1;
        let store: SessionStore;
        beforeEach(async () => {
          db = freshDb();
          ({ old, store } = await startFleet(db, order, { IndexSessionID, Filter }));
        });

        it('sessions 1.x creates are read, changed and destroyed by 2.x, in place', async () => {
          await old.set('by-1x', session(1));
          expect(await store.get('by-1x')).to.deep.equal(session(1));
          await store.set('by-1x', session(2));
          expect(await copies(db, 'by-1x')).to.equal(1);
          expect(await old.get('by-1x')).to.deep.equal(session(2));
          await old.set('by-1x', session(3));
          expect(await store.get('by-1x')).to.deep.equal(session(3));

          await old.set('gone-1x', session(4));
          await store.destroy('gone-1x');
          expect(await copies(db, 'gone-1x')).to.equal(0);
          expect(await old.get('gone-1x')).to.equal(null);
        });

        it('a 1.x session that 2.x sets or destroys without reading it first is written in place, never beside it', async () => {
          await old.set('blind-1x', session(1));
          await store.set('blind-1x', session(2));
          expect(await copies(db, 'blind-1x')).to.equal(1);
          expect(await old.get('blind-1x')).to.deep.equal(session(2));
          expect(await store.get('blind-1x')).to.deep.equal(session(2));

          await old.set('blind-gone', session(3));
          await store.destroy('blind-gone');
          expect(await copies(db, 'blind-gone')).to.equal(0);
          expect(await old.get('blind-gone')).to.equal(null);
        });

        it('sessions 2.x creates are read, changed and destroyed by 1.x, in place', async () => {
          await store.set('by-2x', session(1));
          expect(await old.get('by-2x')).to.deep.equal(session(1));
          await old.set('by-2x', session(2));
          expect(await copies(db, 'by-2x')).to.equal(1);
          expect(await store.get('by-2x')).to.deep.equal(session(2));
          await store.set('by-2x', session(3));
          expect(await old.get('by-2x')).to.deep.equal(session(3));

          await store.set('gone-2x', session(4));
          await old.destroy('gone-2x');
          expect(await copies(db, 'gone-2x')).to.equal(0);
          expect(await store.get('gone-2x')).to.equal(null);
        });

        it('a session flagged by either side is missing for both, and a late save leaves the flag', async () => {
          await old.set('flag-by-2x', session(1));
          await store.set('flag-by-1x', session(1));
          expect(await store.FlagDeletion('flag-by-2x')).to.equal(1);
          expect(await old.flag('flag-by-1x')).to.equal(1);
          for (const sid of ['flag-by-2x', 'flag-by-1x']) {
            expect(await store.get(sid), sid).to.equal(null);
            expect(await old.get(sid), sid).to.equal(null);
          }
          await old.set('flag-by-2x', session(2));
          await store.set('flag-by-1x', session(2));
          expect(await store.get('flag-by-2x')).to.equal(null);
          expect(await old.get('flag-by-1x')).to.equal(null);
          expect(await old.length()).to.equal(0);
          expect(await store.length()).to.equal(0);
          expect(await old.cleanup()).to.equal(2);
        });

        it('sessions interleaved from both sides are counted once, never duplicated', async () => {
          for (let i = 0; i < 6; i++) {
            if (i % 2 === 0) await old.set(`mix-${i}`, session(i));
            else await store.set(`mix-${i}`, session(i));
          }
          for (let i = 0; i < 6; i++) {
            const sid = `mix-${i}`;
            expect(await store.get(sid), sid).to.deep.equal(session(i));
            await store.set(sid, session(i + 10));
            expect(await old.get(sid), sid).to.deep.equal(session(i + 10));
            expect(await copies(db, sid), sid).to.equal(1);
          }
          expect(await store.length()).to.equal(6);
          expect(await old.length()).to.equal(6);
        });
      });
    }
  }
}

describe('a fleet of 1.x and 2.x with DeleteFlag', () => {
  for (const order of ['1.x first', '2.x first']) {
    it(`destroy and clear by either side flag for both, call back 1.x's counts, and Cleanup removes them (${order})`, async () => {
      const db = freshDb();
      const { old, store } = await startFleet(db, order, { IndexSessionID: true, Filter: false, DeleteFlag: true });
      await old.set('a', sessionWith({ n: 1 }));
      await store.set('b', sessionWith({ n: 2 }));
      // Each side destroys the other's session: both read as missing for both.
      expect([await store.destroy('a'), await old.destroy('b')]).to.deep.equal([1, 1]);
      for (const sid of ['a', 'b']) {
        expect(await store.get(sid), sid).to.equal(null);
        expect(await old.get(sid), sid).to.equal(null);
      }
      await old.set('c', sessionWith({ n: 3 }));
      await store.set('d', sessionWith({ n: 4 }));
      // clear flags everything, already flagged included, as 1.x counted.
      expect(await store.clear()).to.equal(4);
      expect([await store.length(), await old.length()]).to.deep.equal([0, 0]);
      expect(await old.clear()).to.equal(4);
      expect(await store.Cleanup()).to.equal(4);
      expect(await db.collection('Sessions').countDocuments({})).to.equal(0);
    });
  }
});

describe('a 2.x process that started before any 1.x document existed', () => {
  it('switches to SessionID lookups for good once a 1.x document turns up, and sends no second lookup before that on a hit', async () => {
    const db = freshDb();
    const store = await openStore(db, { IndexSessionID: true });
    await store.set('mine', sessionWith({ n: 1 }));
    const old = v1(await openV1Store(db, { IndexSessionID: true }));
    await old.set('theirs', sessionWith({ n: 2 }));
    // set without a get first (the insert path): the duplicate SessionID is adopted, not thrown.
    await store.set('theirs', sessionWith({ n: 3 }));
    expect(await copies(db, 'theirs')).to.equal(1);
    expect(await old.get('theirs')).to.deep.equal(sessionWith({ n: 3 }));
    expect(await store.get('mine')).to.deep.equal(sessionWith({ n: 1 }));
  });
});

describe('a fleet of 1.x and 2.x with TimeToLive', () => {
  for (const order of ['1.x first', '2.x first']) {
    it(`the reads of either side keep a session alive for both; idle past TimeToLive, 2.x serves it no more (${order})`, async () => {
      const db = freshDb();
      const { old, store } = await startFleet(db, order, { IndexSessionID: false, Filter: false, TimeToLive: 60 });
      const raw = db.collection('Sessions');
      const idleFor = (ms: number) => raw.updateOne({ SessionID: 'a' }, { $set: { LastAccessed: new Date(Date.now() - ms) } });
      const lastAccessed = async () => ((await raw.findOne({ SessionID: 'a' }))?.LastAccessed as Date).getTime();

      await old.set('a', sessionWith({ n: 1 }));
      expect(await store.get('a')).to.deep.equal(sessionWith({ n: 1 }));
      await idleFor(30_000);
      await old.get('a'); // 1.x's read restarts the idle clock
      expect(await lastAccessed()).to.be.above(Date.now() - 5_000);
      await idleFor(30_000);
      expect(await store.get('a')).to.deep.equal(sessionWith({ n: 1 }));
      await sleep(2_300); // 2.x's refresh is sent within 2 s
      expect(await lastAccessed()).to.be.above(Date.now() - 5_000);
      expect(await old.get('a')).to.deep.equal(sessionWith({ n: 1 }));

      await idleFor(120_000);
      expect(await store.get('a')).to.equal(null);
      await store.set('b', sessionWith({ n: 2 }));
      expect(await old.get('b')).to.deep.equal(sessionWith({ n: 2 }));
    });
  }
});

describe('a fleet of 1.x and 2.x behind one cookie, over HTTP', () => {
  type Reply = { id: string; values: Record<string, string> };
  /** The browser's cookie, carried to a request that the other process serves. */
  const carry = (from: Browser, to: Browser): void => {
    to.cookie = from.cookie;
  };

  for (const IndexSessionID of [false, true]) {
    it(`each request may go to either: one session, created, changed, regenerated and destroyed by both (IndexSessionID ${IndexSessionID})`, async () => {
      const db = freshDb();
      // 2.x starts first, before any 1.x document exists.
      const store = await openStore(db, { IndexSessionID });
      const old = (await openV1Store(db, { IndexSessionID })) as unknown as SessionStore;
      const apps = [await startApp(old), await startApp(store)];
      try {
        const [at1x, at2x] = apps.map((app) => new Browser(app.url)) as [Browser, Browser];
        await at1x.get('/set?a=1');
        carry(at1x, at2x);
        expect((await at2x.get<Reply>('/get')).body.values).to.deep.equal({ a: '1' });
        await at2x.get('/set?b=2');
        carry(at2x, at1x);
        expect((await at1x.get<Reply>('/get')).body.values).to.deep.equal({ a: '1', b: '2' });
        expect(await copies(db, at1x.sessionId!)).to.equal(1);

        const regenerated = (await at2x.get<Reply & { before: string }>('/regenerate')).body;
        expect(await copies(db, regenerated.before)).to.equal(0);
        carry(at2x, at1x);
        await at1x.get('/set?c=3');
        carry(at1x, at2x);
        expect((await at2x.get<Reply>('/get')).body).to.deep.equal({ id: regenerated.id, values: { c: '3' } });
        expect(await copies(db, regenerated.id)).to.equal(1);

        // A session 1.x made, destroyed by 2.x: gone for 1.x too, which starts an empty one.
        const other = new Browser(apps[0]!.url);
        await other.get('/set?x=1');
        const sid = other.sessionId!;
        const viaTwo = new Browser(apps[1]!.url);
        carry(other, viaTwo);
        expect(await viaTwo.get('/destroy')).to.deep.include({ status: 200 });
        expect(await copies(db, sid)).to.equal(0);
        const after = (await other.get<Reply>('/get')).body;
        expect(after.values).to.deep.equal({});
        expect(after.id).not.to.equal(sid);
      } finally {
        for (const app of apps) await app.close();
      }
    });
  }
});
