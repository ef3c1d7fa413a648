import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { freshDb } from '../support/server';
import { v1Destroy, v1Get, v1Set } from '../support/legacy-v1';
import { openStore, sessionWith } from '../support/store';

// The property names 1.x's own tests used, nested as they nested them.
const V1_NAMES = { 'a.b': [{ '$b\0c': { 'Test.Testdot-*-dot*-': 'value' } }] };

describe('data written by 1.x', () => {
  it('is served, updated and destroyed in place, without duplicates', async () => {
    const db = freshDb();
    const sessions = db.collection('Sessions');
    await v1Set(sessions, 'old-1', sessionWith({ n: 1 }));
    await v1Set(sessions, 'old-2', sessionWith({ n: 2 }));
    const before = await sessions.findOne({ SessionID: 'old-1' });
    expect(before?._id).to.be.instanceOf(ObjectId);

    const store = await openStore(db);
    expect(await store.get('old-1')).to.deep.include({ n: 1 });
    expect(await store.length()).to.equal(2);

    await store.set('old-1', sessionWith({ n: 10 }));
    expect(await sessions.countDocuments({ SessionID: 'old-1' })).to.equal(1);
    const after = await sessions.findOne({ SessionID: 'old-1' });
    expect(String(after?._id)).to.equal(String(before?._id));
    expect(await store.get('old-1')).to.deep.include({ n: 10 });

    await store.touch('old-1', sessionWith({ n: 10 }));
    await store.destroy('old-2');
    expect(await sessions.countDocuments({ SessionID: 'old-2' })).to.equal(0);
    expect(await store.FlagDeletion('old-1')).to.equal(1);
    expect(await store.get('old-1')).to.equal(null);
  });

  it('reads names escaped by 1.x, including the names of 1.x’s own tests', async () => {
    const db = freshDb();
    await v1Set(db.collection('Sessions'), 'escaped', sessionWith(V1_NAMES), { filter: true });
    const store = await openStore(db, { Filter: true });
    expect(await store.get('escaped')).to.deep.equal(sessionWith(V1_NAMES));
    expect((await store.all())[0]).to.deep.include(V1_NAMES);
  });

  it('keeps 1.x’s LastAccessed and TTL meaning', async () => {
    const db = freshDb();
    const sessions = db.collection('Sessions');
    await v1Set(sessions, 'ttl', sessionWith({}), { timeToLive: 60 });
    await sessions.updateOne({ SessionID: 'ttl' }, { $set: { LastAccessed: new Date(Date.now() - 120_000) } });
    const store = await openStore(db, { TimeToLive: 60 });
    expect(await store.get('ttl')).to.equal(null);
  });

  it('sessions created by 2.x in a 1.x collection get the session ID as _id', async () => {
    const db = freshDb();
    await v1Set(db.collection('Sessions'), 'old', sessionWith({}));
    const store = await openStore(db);
    await store.set('new', sessionWith({ fresh: true }));
    const doc = await db.collection('Sessions').findOne({ SessionID: 'new' });
    expect(doc?._id).to.equal('new');
  });
});

describe('a fleet upgraded one process at a time', () => {
  it('a 1.x process finds, reads and updates what 2.x wrote, and 2.x reads it back', async () => {
    const db = freshDb();
    const sessions = db.collection('Sessions');
    const store = await openStore(db, { Filter: true, TimeToLive: 60 });
    await store.set('shared', sessionWith({ 'user.name': 'ann', $role: 'admin' }));

    expect(await v1Get(sessions, 'shared', { filter: true, timeToLive: 60 })).to.deep.equal(
      sessionWith({ 'user.name': 'ann', $role: 'admin' }),
    );
    await v1Set(sessions, 'shared', sessionWith({ 'user.name': 'bob' }), { filter: true, timeToLive: 60 });
    expect(await sessions.countDocuments({ SessionID: 'shared' })).to.equal(1);
    expect(await store.get('shared')).to.deep.equal(sessionWith({ 'user.name': 'bob' }));

    await store.set('shared', sessionWith({ back: 2 }));
    expect(await v1Get(sessions, 'shared', { filter: true })).to.deep.equal(sessionWith({ back: 2 }));
    await v1Destroy(sessions, 'shared');
    expect(await store.get('shared')).to.equal(null);
  });

  it('with Filter, a 1.x process reads every name it could itself round-trip exactly as 2.x wrote it', async () => {
    const db = freshDb();
    const sessions = db.collection('Sessions');
    const store = await openStore(db, { Filter: true });
    const names = sessionWith({ 'x-csrf-token': 't', 'a-b-c-d': 1, 'Test.Testdot-*-dot*-': { '$b\0c': 2 }, x$y$z: 3 });
    await store.set('repeats', names);
    expect(await v1Get(sessions, 'repeats', { filter: true })).to.deep.equal(names);
  });

  it('2.x serves sessions that 1.x processes create while both run', async () => {
    const db = freshDb();
    const sessions = db.collection('Sessions');
    await v1Set(sessions, 'before-upgrade', sessionWith({}));
    const store = await openStore(db, { IndexSessionID: true });
    await v1Set(sessions, 'created-by-1x', sessionWith({ by: '1.x' }));
    expect(await store.get('created-by-1x')).to.deep.include({ by: '1.x' });
    await store.set('created-by-1x', sessionWith({ by: '2.x' }));
    expect(await sessions.countDocuments({ SessionID: 'created-by-1x' })).to.equal(1);
    expect(await v1Get(sessions, 'created-by-1x')).to.deep.include({ by: '2.x' });
  });
});
