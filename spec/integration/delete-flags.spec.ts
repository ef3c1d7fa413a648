import { expect } from 'chai';
import { freshDb } from '../support/server';
import { openStore, sessionWith } from '../support/store';

describe('DeleteFlags', () => {
  for (const spelling of ['DeleteFlags', 'DeleteFlag'] as const) {
    it(`${spelling}: destroy only flags; the session reads as missing and a late set does not revive it`, async () => {
      const db = freshDb();
      const store = await openStore(db, { [spelling]: true });
      await store.set('s', sessionWith({ n: 1 }));
      await store.destroy('s');
      const doc = await db.collection('Sessions').findOne({ SessionID: 's' });
      expect(doc).to.have.property('Delete', true);
      expect(await store.get('s')).to.equal(null);
      await store.set('s', sessionWith({ n: 2 }));
      await store.touch('s', sessionWith({ n: 2 }));
      expect(await store.get('s')).to.equal(null);
      expect(await db.collection('Sessions').findOne({ SessionID: 's' })).to.have.property('Delete', true);
      expect(await store.length()).to.equal(0);
      expect(await store.all()).to.deep.equal([]);
    });
  }

  it('clear flags every session; Cleanup removes exactly the flagged ones and says how many', async () => {
    const db = freshDb();
    const store = await openStore(db, { DeleteFlags: true });
    for (const sid of ['a', 'b', 'c']) await store.set(sid, sessionWith({ sid }));
    await store.clear();
    expect(await store.length()).to.equal(0);
    expect(await db.collection('Sessions').countDocuments({ Delete: true })).to.equal(3);
    await store.set('d', sessionWith({ sid: 'd' }));
    const [err, deleted] = await new Promise<[Error | null, number | undefined]>((resolve) => store.Cleanup((e, n) => resolve([e, n])));
    expect(err).to.equal(null);
    expect(deleted).to.equal(3);
    expect(await store.length()).to.equal(1);
    expect(await store.get('d')).to.deep.include({ sid: 'd' });
  });

  it('FlagDeletion calls back, as 1.x did, with the number its update matched, flagged already or not', async () => {
    const store = await openStore(freshDb());
    for (const sid of ['a', 'b', 'c']) await store.set(sid, sessionWith({}));
    const one = await new Promise<[Error | null, number | undefined]>((resolve) => store.FlagDeletion('a', (e, n) => resolve([e, n])));
    expect(one).to.deep.equal([null, 1]);
    expect(await store.FlagDeletion('a')).to.equal(1);
    expect(await store.FlagDeletion('missing')).to.equal(0);
    expect(await store.FlagDeletion(null)).to.equal(3);
    expect(await store.length()).to.equal(0);
    expect(await store.Cleanup()).to.equal(3);
  });

  it('with DeleteFlag, destroy and clear call back with the count, as 1.x did', async () => {
    const store = await openStore(freshDb(), { DeleteFlag: true });
    for (const sid of ['a', 'b']) await store.set(sid, sessionWith({}));
    const destroyed = await new Promise<unknown[]>((resolve) => store.destroy('a', (...args: unknown[]) => resolve(args)));
    expect(destroyed).to.deep.equal([null, 1]);
    const cleared = await new Promise<unknown[]>((resolve) => store.clear((...args: unknown[]) => resolve(args)));
    expect(cleared).to.deep.equal([null, 2]);
  });

  it('without DeleteFlags, destroy deletes and a late set re-creates (1.x behaviour)', async () => {
    const db = freshDb();
    const store = await openStore(db);
    await store.set('s', sessionWith({ n: 1 }));
    await store.destroy('s');
    expect(await db.collection('Sessions').countDocuments({})).to.equal(0);
    await store.set('s', sessionWith({ n: 2 }));
    expect(await store.get('s')).to.deep.include({ n: 2 });
  });
});
