import { expect } from 'chai';
import { MongoClient, type Db } from 'mongodb';
import sinon from 'sinon';
import createStore = require('../../lib');
import { driverMajor } from '../support/matrix';
import { freshDb, serverUri } from '../support/server';
import { openStore, sessionWith, sleep, type SessionStore } from '../support/store';
import { openV1Store, v1 } from '../support/v1-adapter';

const call = <T>(run: (cb: (err: Error | null, value?: T) => void) => void): Promise<[Error | null, T | undefined, number]> =>
  new Promise((resolve) => {
    let calls = 0;
    run((err, value) => {
      calls++;
      setTimeout(() => resolve([err, value, calls]), 20);
    });
  });

describe('store methods', () => {
  let store: SessionStore;
  let db: ReturnType<typeof freshDb>;
  beforeEach(async () => {
    db = freshDb();
    store = await openStore(db);
  });

  it('set calls back (null, session) and get returns what was set', async () => {
    const session = sessionWith({ user: 'ann', list: [1, 'two', { three: 3 }], nested: { a: { b: true } } });
    const [err, value, calls] = await call<unknown>((cb) => store.set('sid-1', session, cb));
    expect(err).to.equal(null);
    expect(value).to.equal(session);
    expect(calls).to.equal(1);
    const [getErr, got] = await call<unknown>((cb) => store.get('sid-1', cb));
    expect(getErr).to.equal(null);
    expect(got).to.deep.equal(session);
  });

  it('a session without a cookie (a direct store user sets one) round-trips exactly; no cookie is added, for 1.3.3 either', async () => {
    const session = { user: 'ann', nested: { cookie: 'a property of its own' }, list: [1, { two: 2 }] };
    for (const options of [{}, { Filter: true }, { EncryptionKeys: ['k'.repeat(32)] }, { TimeToLive: 60, MaxLifetime: 60 }]) {
      const what = JSON.stringify(options);
      const here = freshDb();
      const plain = await openStore(here, options);
      await plain.set('bare', session as never);
      expect(await plain.get('bare'), what).to.deep.equal(session);
      expect(await plain.all(), what).to.deep.equal([{ ...session, id: 'bare' }]);
      expect(await (await openStore(here, options)).get('bare'), `${what}, another process`).to.deep.equal(session);
      const doc = await here.collection('Sessions').findOne({ SessionID: 'bare' });
      expect(doc, what).not.to.have.property('Expires');
      if (!('EncryptionKeys' in options)) expect(doc!.Data, what).to.deep.equal(session);
      // touch without a cookie only restarts the idle clock: still no cookie.
      await plain.touch('bare', session as never);
      expect(await plain.get('bare'), `${what}, after touch`).to.deep.equal(session);
    }
    // The real 1.3.3 reads the document 2.x wrote: no cookie there either.
    const shared = freshDb();
    await (await openStore(shared)).set('bare', session as never);
    expect(await v1(await openV1Store(shared)).get('bare')).to.deep.equal(session);
  });

  it('get calls back (null, null) for a missing session', async () => {
    const [err, value] = await call<unknown>((cb) => store.get('nobody', cb));
    expect(err).to.equal(null);
    expect(value).to.equal(null);
  });

  it('keeps a session property named SessionID apart from the key', async () => {
    await store.set('real-id', sessionWith({ SessionID: 'fake-id' }));
    expect(await store.get('real-id')).to.deep.include({ SessionID: 'fake-id' });
    expect(await store.get('fake-id')).to.equal(null);
  });

  it('set replaces an existing session whole', async () => {
    await store.set('s', sessionWith({ a: 1, b: 2 }));
    await store.set('s', sessionWith({ c: 3 }));
    const got = (await store.get('s')) as unknown as Record<string, unknown>;
    expect(got).to.deep.equal(sessionWith({ c: 3 }));
    expect(await db.collection('Sessions').countDocuments({})).to.equal(1);
  });

  it('keeps sessions distinct', async () => {
    await Promise.all(['a', 'b', 'c'].map((sid) => store.set(sid, sessionWith({ sid }))));
    for (const sid of ['a', 'b', 'c']) expect(await store.get(sid)).to.deep.include({ sid });
    expect(await store.length()).to.equal(3);
  });

  it('racing sets of one new session all succeed and leave one document', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.set('race', sessionWith({ i }))));
    expect(results.filter((r) => r.status === 'rejected')).to.deep.equal([]);
    expect(await db.collection('Sessions').countDocuments({ SessionID: 'race' })).to.equal(1);
  });

  it('stores the 1.x document fields', async () => {
    await store.set('doc', sessionWith({ x: 1 }));
    const doc = await db.collection('Sessions').findOne({ SessionID: 'doc' });
    expect(doc).to.include({ _id: 'doc', SessionID: 'doc' });
    expect(doc?.Data).to.deep.equal(sessionWith({ x: 1 }));
    expect(doc?.LastAccessed).to.be.instanceOf(Date);
    expect(doc).not.to.have.property('Delete');
  });

  it('destroy removes the session; destroying a missing one is harmless', async () => {
    await store.set('gone', sessionWith({}));
    const [err, , calls] = await call<number | undefined>((cb) => store.destroy('gone', cb));
    expect(err).to.equal(null);
    expect(calls).to.equal(1);
    expect(await store.get('gone')).to.equal(null);
    expect(await db.collection('Sessions').countDocuments({})).to.equal(0);
    const [again] = await call<number | undefined>((cb) => store.destroy('never-there', cb));
    expect(again).to.equal(null);
  });

  it('length counts sessions, all lists them with their ids', async () => {
    expect(await store.length()).to.equal(0);
    await store.set('one', sessionWith({ n: 1 }));
    await store.set('two', sessionWith({ n: 2 }));
    const [err, length] = await call<number>((cb) => store.length(cb));
    expect(err).to.equal(null);
    expect(length).to.equal(2);
    const all = await store.all();
    expect(all.map((s) => s.id).sort()).to.deep.equal(['one', 'two']);
    expect(all.find((s) => s.id === 'two')).to.deep.include({ n: 2 });
  });

  it('clear removes every session and keeps the indexes', async () => {
    const indexed = freshDb();
    const s = await openStore(indexed, { IndexSessionID: true });
    await s.set('a', sessionWith({}));
    await s.set('b', sessionWith({}));
    const indexesBefore = await indexed.collection('Sessions').listIndexes().toArray();
    const [err] = await call<number | undefined>((cb) => s.clear(cb));
    expect(err).to.equal(null);
    expect(await s.length()).to.equal(0);
    expect(await indexed.collection('Sessions').countDocuments({})).to.equal(0);
    expect(await indexed.collection('Sessions').listIndexes().toArray()).to.deep.equal(indexesBefore);
  });

  it('touch of a missing session is not an error', async () => {
    const [err] = await call<void>((cb) => store.touch('missing', sessionWith({}), cb));
    expect(err).to.equal(null);
  });

  it('every method returns a promise without a callback', async () => {
    expect(store.set('p', sessionWith({ n: 1 }))).to.be.instanceOf(Promise);
    await store.set('p', sessionWith({ n: 1 }));
    expect(await store.get('p')).to.deep.include({ n: 1 });
    await store.touch('p', sessionWith({ n: 1 }));
    expect(await store.length()).to.equal(1);
    expect(await store.all()).to.have.length(1);
    expect(await store.FlagDeletion('p')).to.equal(1);
    expect(await store.Cleanup()).to.equal(1);
    await store.destroy('p');
    await store.clear();
    await store.close();
  });

  it('a method called with a callback returns nothing, as in 1.x', async () => {
    const result = store.get('x', () => {});
    expect(result).to.equal(undefined);
    await sleep(20);
  });

  it('refuses session IDs that are not strings, through the callback, without touching sessions', async () => {
    await store.set('victim', sessionWith({ secret: 1 }));
    const hostile: unknown[] = [{ $ne: null }, { $gt: '' }, ['victim'], 7, null, undefined, true];
    for (const sid of hostile) {
      for (const run of [
        (cb: (err: Error | null) => void) => store.get(sid as string, cb),
        (cb: (err: Error | null) => void) => store.set(sid as string, sessionWith({}), cb),
        (cb: (err: Error | null) => void) => store.destroy(sid as string, cb),
        (cb: (err: Error | null) => void) => store.touch(sid as string, sessionWith({}), cb),
      ]) {
        const [err, value, calls] = await call<unknown>(run);
        expect(err, String(sid)).to.be.instanceOf(Error);
        expect(err?.message).to.match(/Session ID/);
        expect(value).to.equal(undefined);
        expect(calls).to.equal(1);
      }
    }
    expect(await store.get('victim')).to.deep.include({ secret: 1 });
    expect(await db.collection('Sessions').countDocuments({})).to.equal(1);
  });

  it('refuses a session that is not an object, keeping the stored one', async () => {
    await store.set('keep', sessionWith({ n: 1 }));
    for (const bad of [null, 'text', 5, [1, 2]]) {
      const err = await store.set('keep', bad as never).catch((e: unknown) => e);
      expect(err)
        .to.be.instanceOf(TypeError)
        .with.property('message')
        .that.matches(/Session must be an object/);
    }
    expect(await store.get('keep')).to.deep.include({ n: 1 });
  });

  it('close stops the store: later calls fail clearly; the caller’s client stays open', async () => {
    const [err] = await call<void>((cb) => store.close(cb));
    expect(err).to.equal(null);
    const after = await store.get('x').catch((e: unknown) => e);
    expect(after)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/closed/);
    expect(await db.command({ ping: 1 })).to.have.property('ok', 1);
  });

  describe('on an unusable database', () => {
    let client: MongoClient;
    let broken: SessionStore;
    let unusable: Db;
    before(async () => {
      // Nothing listens on port 1: every operation fails server selection. Driver 3.x gives
      // no database before it connects: there, databases of a client closed since.
      client = new MongoClient(driverMajor() === 3 ? serverUri() : `mongodb://127.0.0.1:1/`, { serverSelectionTimeoutMS: 300 });
      if (driverMajor() === 3) await client.connect();
      const x = client.db('x');
      unusable = client.db('y');
      if (driverMajor() === 3) await client.close();
      broken = createStore(x, () => {});
      await broken.ready().catch(() => {});
    });
    after(() => client.close());

    it('createStore calls back with the error', async () => {
      const callback = sinon.spy();
      createStore(unusable, callback);
      await sleep(1_000);
      expect(callback.calledOnce).to.equal(true);
      expect(callback.firstCall.args[0]).to.be.instanceOf(Error);
    });

    it('a client the application closed stays closed: calls fail, nothing reopens it', async () => {
      const own = new MongoClient(serverUri());
      if (driverMajor() === 3) await own.connect();
      const s = await openStore(own.db(db.databaseName));
      const never = own.db('never');
      await own.close();
      for (const run of [() => s.get('a'), () => s.set('a', sessionWith({})), () => s.length()]) {
        const err = await run().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(Error);
      }
      const late = createStore(never, null);
      expect(await late.ready().catch((e: unknown) => e)).to.be.instanceOf(Error);
      expect(await late.get('a').catch((e: unknown) => e)).to.be.instanceOf(Error);
    });

    const methods: Array<[string, (s: SessionStore, cb: (err: Error | null) => void) => void]> = [
      ['get', (s, cb) => s.get('a', cb)],
      ['set', (s, cb) => s.set('a', sessionWith({}), cb)],
      ['destroy', (s, cb) => s.destroy('a', cb)],
      ['touch', (s, cb) => s.touch('a', sessionWith({}), cb)],
      ['length', (s, cb) => s.length(cb)],
      ['all', (s, cb) => s.all(cb)],
      ['clear', (s, cb) => s.clear(cb)],
      ['FlagDeletion', (s, cb) => s.FlagDeletion(null, cb)],
      ['Cleanup', (s, cb) => s.Cleanup(cb)],
    ];
    for (const [name, run] of methods) {
      it(`${name} reports the error through its callback`, async () => {
        const [err, , calls] = await call<unknown>((cb) => run(broken, cb));
        expect(err).to.be.instanceOf(Error);
        expect(calls).to.equal(1);
      });
    }
  });
});
