import { expect } from 'chai';
import { Collection, MongoServerError, type Db, type Document } from 'mongodb';
import sinon from 'sinon';
import { freshDb, isFerretDB, skipBecause } from '../support/server';
import { openStore, sessionWith, sleep, type SessionStore } from '../support/store';

async function ttlIndex(db: Db): Promise<Document | undefined> {
  const indexes = await db.collection('Sessions').listIndexes().toArray();
  return indexes.find((index) => typeof index.expireAfterSeconds === 'number' && index.key?.LastAccessed === 1);
}

async function lastAccessed(db: Db, sid: string): Promise<number> {
  const doc = await db.collection('Sessions').findOne({ SessionID: sid });
  return (doc?.LastAccessed as Date).getTime();
}

/** Makes a stored session look idle for `seconds`, without waiting. */
async function age(db: Db, sid: string, seconds: number): Promise<void> {
  await db.collection('Sessions').updateOne({ SessionID: sid }, { $set: { LastAccessed: new Date(Date.now() - seconds * 1000) } });
}

/** Makes the server refuse TTL indexes as FerretDB v1 does (code 238), on servers that accept them. */
function refuseTtlIndexes(): sinon.SinonStub {
  const stub = sinon.stub(Collection.prototype, 'createIndex');
  stub.withArgs(sinon.match.any, sinon.match.has('expireAfterSeconds')).rejects(
    new MongoServerError({
      ok: 0,
      code: 238,
      codeName: 'NotImplemented',
      errmsg: 'Index option "expireAfterSeconds" is not implemented yet',
    }),
  );
  stub.callThrough();
  return stub;
}

describe('TimeToLive', () => {
  afterEach(() => sinon.restore());

  it('creates a TTL index on LastAccessed where the server supports one', async function () {
    if (isFerretDB()) skipBecause(this, 'FerretDB v1 refuses TTL indexes (code 238); the sweeper tests cover it');
    const db = freshDb();
    await openStore(db, { TimeToLive: 30 });
    expect(await ttlIndex(db)).to.deep.include({ key: { LastAccessed: 1 }, expireAfterSeconds: 30 });
  });

  it('get, set and touch refresh LastAccessed', async () => {
    const db = freshDb();
    await (await openStore(db, { TimeToLive: 60 })).set('s', sessionWith({}));
    for (const refresh of [
      (store: SessionStore) => store.get('s'),
      (store: SessionStore) => store.touch('s', sessionWith({})),
      (store: SessionStore) => store.set('s', sessionWith({})),
    ]) {
      // A store of its own each time, as another process would be: none remembers a recent refresh.
      const store = await openStore(db, { TimeToLive: 60 });
      await age(db, 's', 30);
      const before = await lastAccessed(db, 's');
      await refresh(store);
      // get's refresh follows within a couple of seconds, unless a touch or set of the session comes first.
      for (let i = 0; i < 30 && (await lastAccessed(db, 's')) <= before + 25_000; i++) await sleep(100);
      expect(await lastAccessed(db, 's')).to.be.greaterThan(before + 25_000);
    }
  });

  it('never returns or counts a session idle longer than TimeToLive, even before anything removed it', async () => {
    const db = freshDb();
    const store = await openStore(db, { TimeToLive: 60 });
    await store.set('idle', sessionWith({ n: 1 }));
    await store.set('busy', sessionWith({ n: 2 }));
    await age(db, 'idle', 61);
    expect(await store.length()).to.equal(1);
    expect((await store.all()).map((s) => s.id)).to.deep.equal(['busy']);
    const idleSince = await lastAccessed(db, 'idle');
    expect(await store.get('idle')).to.equal(null);
    // The read that found it idle did not revive it; the TTL index or the sweeper removes it.
    await sleep(1_200);
    expect(await lastAccessed(db, 'idle')).to.equal(idleSince);
    expect(await store.get('busy')).to.deep.include({ n: 2 });
  });

  it('touch does not revive an idle session', async () => {
    const db = freshDb();
    const store = await openStore(db, { TimeToLive: 60 });
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    await store.set('idle', sessionWith({}));
    clock.tick(61_000);
    await store.touch('idle', sessionWith({}));
    expect(await store.get('idle')).to.equal(null);
    // Nor does a process that never saw it.
    await (await openStore(db, { TimeToLive: 60 })).touch('idle', sessionWith({}));
    expect(await store.get('idle')).to.equal(null);
  });

  it('a session kept busy outlives TimeToLive; left alone, it expires', async () => {
    const store = await openStore(freshDb(), { TimeToLive: 1 });
    await store.set('busy', sessionWith({}));
    await store.set('alone', sessionWith({}));
    for (let i = 0; i < 3; i++) {
      await sleep(500);
      await store.touch('busy', sessionWith({}));
    }
    expect(await store.get('busy')).not.to.equal(null);
    expect(await store.get('alone')).to.equal(null);
  });

  it('documents without LastAccessed (written with TimeToLive 0) never expire, as with a TTL index', async () => {
    const db = freshDb();
    await db.collection('Sessions').insertOne({ _id: 'timeless' as never, SessionID: 'timeless', Data: sessionWith({}) });
    const store = await openStore(db, { TimeToLive: 1 });
    expect(await store.length()).to.equal(1);
    expect(await store.get('timeless')).not.to.equal(null);
  });

  describe('on a server that refuses TTL indexes', () => {
    beforeEach(function () {
      if (!isFerretDB()) refuseTtlIndexes();
    });

    it('removes idle sessions itself on a timer, and close stops it', async () => {
      const db = freshDb();
      const store = await openStore(db, { TimeToLive: 1 });
      expect(await ttlIndex(db)).to.equal(undefined);
      await store.set('idle', sessionWith({}));
      await sleep(2_600);
      expect(await db.collection('Sessions').countDocuments({ SessionID: 'idle' })).to.equal(0);

      await store.close();
      await db
        .collection('Sessions')
        .insertOne({ _id: 'after-close' as never, SessionID: 'after-close', Data: {}, LastAccessed: new Date(0) });
      await sleep(2_200);
      expect(await db.collection('Sessions').countDocuments({ SessionID: 'after-close' })).to.equal(1);
    });

    it('its timer does not keep the process alive', async () => {
      const setInterval = sinon.spy(global, 'setInterval');
      const store = await openStore(freshDb(), { TimeToLive: 5 });
      setInterval.restore();
      const sweepers = setInterval.getCalls().filter((c) => c.args[1] === 5_000);
      expect(sweepers).to.have.length(1);
      expect((sweepers[0]!.returnValue as unknown as NodeJS.Timeout).hasRef()).to.equal(false);
      await store.close();
    });
  });

  it('restarting with another TimeToLive updates the index instead of failing', async function () {
    if (isFerretDB()) skipBecause(this, 'needs a TTL index, which FerretDB v1 refuses (code 238)');
    const db = freshDb();
    await openStore(db, { TimeToLive: 30 });
    await openStore(db, { TimeToLive: 90 });
    expect(await ttlIndex(db)).to.deep.include({ expireAfterSeconds: 90 });
    // 0 leaves the fleet's index alone (docs/expiry.md: drop it by hand to stop expiry).
    await openStore(db, { TimeToLive: 0 });
    expect(await ttlIndex(db)).to.deep.include({ expireAfterSeconds: 90 });
  });

  // FerretDB cannot hold a TTL index, so these two replay the answers MongoDB gives.
  it('on an IndexOptionsConflict, changes the TTL with collMod', async () => {
    const db = freshDb();
    sinon
      .stub(Collection.prototype, 'createIndex')
      .rejects(new MongoServerError({ ok: 0, code: 85, codeName: 'IndexOptionsConflict', errmsg: 'exists with different options' }));
    const command = sinon.stub(db, 'command').resolves({ ok: 1 });
    await openStore(db, { TimeToLive: 90 });
    expect(command.getCalls().map((call) => call.args[0])).to.deep.include({
      collMod: 'Sessions',
      index: { keyPattern: { LastAccessed: 1 }, expireAfterSeconds: 90 },
    });
  });

  it('with TimeToLive 0, leaves a TTL index of an earlier run or another process alone', async () => {
    const db = freshDb();
    await openStore(db, { TimeToLive: 30 });
    const dropIndex = sinon.spy(Collection.prototype, 'dropIndex');
    const command = sinon.spy(db, 'command');
    await openStore(db, { TimeToLive: 0 });
    expect(dropIndex.called).to.equal(false);
    expect(command.getCalls().filter((call) => 'collMod' in call.args[0])).to.deep.equal([]);
  });

  it('going back to TimeToLive 0 stops expiry', async () => {
    const db = freshDb();
    const expiring = await openStore(db, { TimeToLive: 1 });
    await expiring.set('s', sessionWith({ n: 1 }));
    await expiring.close();
    const lasting = await openStore(db, { TimeToLive: 0 });
    await age(db, 's', 3_600);
    expect(await lasting.get('s')).to.deep.include({ n: 1 });
    expect(await lasting.length()).to.equal(1);
  });
});
