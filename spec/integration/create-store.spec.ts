import { expect } from 'chai';
import { Store } from 'express-session';
import { EventEmitter } from 'node:events';
import { inherits } from 'node:util';
import { MongoClient, type Db } from 'mongodb';
import sinon from 'sinon';
import createStore = require('../../lib');
import { holdFirstCall } from '../support/held-call';
import { driverMajor } from '../support/matrix';
import { freshDb, serverUri, testClient } from '../support/server';
import { openStore, sessionWith, sleep, type SessionStore } from '../support/store';

async function indexNames(db: ReturnType<typeof freshDb>, collection = 'Sessions'): Promise<string[]> {
  return (await db.collection(collection).listIndexes().toArray()).map((index) => String(index.name)).sort();
}

describe('createStore', () => {
  it('calls back once with the store it also returns, with or without new', async () => {
    for (const construct of [
      (db: ReturnType<typeof freshDb>, cb: sinon.SinonSpy) => createStore(db, cb),
      (db: ReturnType<typeof freshDb>, cb: sinon.SinonSpy) => new createStore(db, cb),
    ]) {
      const db = freshDb();
      const callback = sinon.spy();
      const store = construct(db, callback);
      await sleep(1_000);
      await sleep(20);
      expect(callback.calledOnce).to.equal(true);
      expect(callback.firstCall.args[0]).to.equal(null);
      expect(callback.firstCall.args[1]).to.equal(store);
    }
  });

  it('is an express-session Store whose methods are its own closures', async () => {
    const store = await openStore(freshDb());
    expect(store).to.be.instanceOf(Store);
    expect(store).to.be.instanceOf(EventEmitter);
    // As in 1.x: a store is an instance of the exported function, made with or without new.
    expect(store instanceof createStore).to.equal(true);
    expect(new createStore(freshDb()) instanceof createStore).to.equal(true);
    expect({} instanceof createStore).to.equal(false);
    for (const name of ['regenerate', 'load', 'createSession']) expect(store).to.have.property(name).that.is.a('function');
    for (const name of ['get', 'set', 'destroy', 'touch', 'length', 'all', 'clear', 'FlagDeletion', 'Cleanup', 'close']) {
      expect(Object.prototype.hasOwnProperty.call(store, name), name).to.equal(true);
    }
    // Closures: a method works detached from its store.
    const { set, get } = store;
    await set('detached', sessionWith({ n: 1 }));
    expect(await get('detached')).to.deep.include({ n: 1 });
  });

  it('a 1.x-style subclass (util.inherits, then createStore.call(this, ...)) is built on its own object', async () => {
    function MyStore(this: object, db: Db, callback: (err: Error | null, store?: object) => void): void {
      (createStore as unknown as (this: object, ...args: unknown[]) => void).call(this, db, callback);
    }
    inherits(MyStore, createStore as unknown as new () => object);
    MyStore.prototype.label = () => 'mine';
    let made!: SessionStore & { label(): string };
    const called = await new Promise<object | undefined>((resolve, reject) => {
      made = new (MyStore as unknown as new (...args: unknown[]) => typeof made)(freshDb(), (err: Error | null, store?: object) =>
        err ? reject(err) : resolve(store),
      );
    });
    expect(called).to.equal(made);
    expect(made).to.be.instanceOf(MyStore).and.instanceOf(createStore).and.instanceOf(Store).and.instanceOf(EventEmitter);
    expect(made.label()).to.equal('mine');
    await made.set('sub', sessionWith({ n: 1 }));
    expect(await made.get('sub')).to.deep.include({ n: 1 });
    // Set up as an EventEmitter, as express-session's Store constructor does.
    const heard = sinon.spy();
    made.on('ping', heard);
    made.emit('ping');
    expect(heard.calledOnce).to.equal(true);
  });

  it('creates the collection and the indexes the options ask for before calling back', async () => {
    const db = freshDb();
    await openStore(db, { CollectionName: 'Custom' });
    expect((await db.listCollections({ name: 'Custom' }).toArray()).length).to.equal(1);
    expect(await indexNames(db, 'Custom')).to.deep.equal(['_id_']);

    const indexed = freshDb();
    await openStore(indexed, { IndexSessionID: true });
    const indexes = await indexed.collection('Sessions').listIndexes().toArray();
    const sessionIdIndex = indexes.find((index) => index.name === 'SessionID_1');
    expect(sessionIdIndex?.key).to.deep.equal({ SessionID: 1 });
    expect(sessionIdIndex?.unique).to.equal(true);
  });

  it('creating the store again on the same collection is harmless', async () => {
    const db = freshDb();
    const first = await openStore(db, { IndexSessionID: true });
    await first.set('kept', sessionWith({ n: 1 }));
    const before = await indexNames(db);
    const second = await openStore(db, { IndexSessionID: true });
    expect(await indexNames(db)).to.deep.equal(before);
    expect(await second.get('kept')).to.deep.include({ n: 1 });
  });

  it('accepts a MongoClient and uses its default database (driver 3.x: a connected one; it refuses an unconnected one at once)', async () => {
    const url = new URL(serverUri());
    const name = `esm_test_client_${Date.now().toString(36)}`;
    url.pathname = `/${name}`;
    const client = new MongoClient(url.toString());
    try {
      if (driverMajor() === 3) {
        const refused = await new Promise<Error | null>((resolve) => createStore(client, (err) => resolve(err)));
        expect(refused)
          .to.be.instanceOf(TypeError)
          .with.property('message')
          .that.matches(
            /^The MongoClient is not connected, and MongoDB driver 3\.\d+\.\d+ gives no database before it is: pass the client/,
          );
        await client.connect();
      }
      const store = await new Promise<ReturnType<typeof createStore>>((resolve, reject) =>
        createStore(client, (err, s) => (err ? reject(err) : resolve(s!))),
      );
      await store.set('via-client', sessionWith({ n: 2 }));
      expect(await testClient().db(name).collection('Sessions').countDocuments({ SessionID: 'via-client' })).to.equal(1);
    } finally {
      await testClient().db(name).dropDatabase();
      await client.close();
    }
  });

  it('lets methods called before it is ready wait for it', async () => {
    const db = freshDb();
    const order: string[] = [];
    const store = createStore(db, () => order.push('ready'), { IndexSessionID: true });
    const length = store.length().then((n) => {
      order.push('length');
      return n;
    });
    expect(await length).to.equal(0);
    await store.set('early', sessionWith({ n: 3 }));
    expect(await store.get('early')).to.deep.include({ n: 3 });
    expect(order).to.deep.equal(['ready', 'length']);
    expect((await db.collection('Sessions').listIndexes().toArray()).map((i) => i.name)).to.include('SessionID_1');
  });

  it('a setup slower than OperationTimeoutMS calls back with a timeout, then serves once done', async () => {
    // Every start makes the cookie's expiry index.
    const slow = holdFirstCall('createIndex', 600);
    try {
      let store!: ReturnType<typeof createStore>;
      const outcome = await new Promise<Error | null>((resolve) => {
        store = createStore(freshDb(), (err) => resolve(err), { OperationTimeoutMS: 300 });
      });
      expect(outcome).to.have.property('name', 'StoreTimeoutError');
      // Past the held call and the rest of the setup (indexes, the server's limits).
      await sleep(1_000);
      slow.resetHistory();
      await store.set('s', sessionWith({ n: 1 }));
      expect(await store.get('s')).to.deep.include({ n: 1 });
      // No index made again: the setup that outlived the timeout is the one in use.
      expect(slow.callCount).to.equal(0);
    } finally {
      slow.restore();
    }
  });

  it('works without a callback; ready() resolves with the store', async () => {
    const store = createStore(freshDb());
    expect(await store.ready()).to.equal(store);
    const withNull = createStore(freshDb(), null, { TimeToLive: 5 });
    expect(await withNull.ready()).to.equal(withNull);
  });

  it('without a callback, a failed setup rejects ready() and later calls, and nothing goes unhandled', async () => {
    const store = createStore(freshDb(), undefined, { TimeToLive: Infinity });
    await sleep(50);
    expect(await store.ready().catch((e: unknown) => e)).to.be.instanceOf(RangeError);
    expect(await store.get('x').catch((e: unknown) => e)).to.be.instanceOf(RangeError);
    // The run fails if any rejection was left unhandled (spec/support/server.ts).
  });

  it('a method called without a callback never takes the process down; an awaited one still rejects', async () => {
    const store = await openStore(freshDb());
    await store.close();
    const unhandled = sinon.spy();
    process.on('unhandledRejection', unhandled);
    try {
      void store.destroy('x');
      void store.set('x', sessionWith({}));
      await sleep(50);
    } finally {
      process.off('unhandledRejection', unhandled);
    }
    expect(unhandled.called).to.equal(false);
    expect(await store.get('x').catch((e: unknown) => e)).to.be.instanceOf(Error);
  });

  it('a callback given in place of the session ID is called back with a TypeError', async () => {
    const store = await openStore(freshDb());
    const err = await new Promise((resolve) => (store.destroy as unknown as (cb: (e: unknown) => void) => void)(resolve));
    expect(err)
      .to.be.instanceOf(TypeError)
      .with.property('message')
      .that.matches(/destroy: argument 1 of 1 is missing/);
  });

  it('on a setup error, calls back with the store as its second argument, as 1.x did', async () => {
    const returned = createStore(
      freshDb(),
      (err, store) => {
        seen.push([err, store]);
      },
      { CollectionName: 'bad$name' },
    );
    const seen: unknown[][] = [];
    while (seen.length === 0) await sleep(10);
    expect(seen[0]![0]).to.be.instanceOf(Error);
    expect(seen[0]![1]).to.equal(returned);
  });

  it('throws a TypeError at once when the callback is not a function', () => {
    expect(() => createStore(freshDb(), 'callback' as never)).to.throw(TypeError, /callback must be a function/);
    expect(() => createStore(freshDb(), {} as never)).to.throw(TypeError, /callback must be a function/);
  });

  it('starts with every options object 1.x accepted, meaning what 1.x made of it', async () => {
    const db = freshDb();
    const loose = { CollectionName: '', IndexSessionID: 1, Filter: 'true', DeleteFlag: 0, TimeToLive: -1 };
    const store = await openStore(db, loose as never);
    const indexes = await db.collection('Sessions').listIndexes().toArray();
    expect(indexes.find((index) => index.name === 'SessionID_1')?.unique).to.equal(true);
    expect(indexes.some((index) => 'expireAfterSeconds' in index)).to.equal(false);
    // Filter read as true: a dotted name is stored; DeleteFlag 0: destroy deletes.
    await store.set('loose', sessionWith({ 'a.b': 1 }));
    expect(await store.get('loose')).to.deep.include({ 'a.b': 1 });
    await store.destroy('loose');
    expect(await db.collection('Sessions').countDocuments({ SessionID: 'loose' })).to.equal(0);

    const empty = freshDb();
    await openStore(empty, { TimeToLive: '' } as never);
    expect(await indexNames(empty)).to.deep.equal(['_id_']);
  });

  const badOptions: Array<[string, object, ErrorConstructor, RegExp]> = [
    ['an infinite TimeToLive', { TimeToLive: Infinity }, RangeError, /TimeToLive/],
    ['an object as CollectionName', { CollectionName: { name: 'S' } }, TypeError, /CollectionName/],
    ['a fractional TouchInterval', { TouchInterval: 0.5 }, RangeError, /TouchInterval/],
    ['an OperationTimeoutMS no timer can hold', { OperationTimeoutMS: 2 ** 31 }, RangeError, /OperationTimeoutMS/],
  ];
  for (const [name, options, type, message] of badOptions) {
    it(`calls back with a ${type.name} naming the option for ${name}`, async () => {
      const callback = sinon.spy();
      const store = createStore(freshDb(), callback, options as never);
      await store.ready().catch(() => {});
      await sleep(10);
      expect(callback.calledOnce).to.equal(true);
      expect(callback.firstCall.args[0]).to.be.instanceOf(type).with.property('message').that.matches(message);
      // Later calls report the same error instead of hanging.
      const err = await store.get('x').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(type);
    });
  }

  for (const [name, handle] of [
    ['undefined', undefined],
    ['a string', 'mongodb://localhost'],
    ['a plain object', { collection: 1 }],
  ] as const) {
    it(`calls back with a TypeError when the handle is ${name}`, async () => {
      const callback = sinon.spy();
      createStore(handle as never, callback);
      await sleep(20);
      expect(callback.calledOnce).to.equal(true);
      expect(callback.firstCall.args[0])
        .to.be.instanceOf(TypeError)
        .with.property('message')
        .that.matches(/Db or MongoClient/);
    });
  }
});
