import { expect } from 'chai';
import sinon from 'sinon';
import { holdFirstCall } from '../support/held-call';
import { freshDb } from '../support/server';
import { openStore, sessionWith, sleep } from '../support/store';

describe('a write that outlived its timeout', () => {
  afterEach(() => sinon.restore());

  it('never lands after a newer write of the same session that succeeded', async () => {
    const store = await openStore(freshDb(), { OperationTimeoutMS: 300 });
    await store.set('s', sessionWith({ n: 1 }));
    holdFirstCall('updateOne', 400); // as the driver would, waiting for a server

    const late = await store.set('s', sessionWith({ n: 2 })).then(
      () => 'acknowledged',
      (err: Error) => err.name,
    );
    expect(late).to.equal('StoreTimeoutError');
    // Sent after the timeout, while n: 2 is still held: acknowledged, so it must stay.
    await store.set('s', sessionWith({ n: 3 }));
    await sleep(300);
    expect(await store.get('s')).to.deep.include({ n: 3 });
  });

  it('does not hold back writes of other sessions', async () => {
    const store = await openStore(freshDb(), { OperationTimeoutMS: 300 });
    await store.set('slow', sessionWith({ n: 1 }));
    await store.set('other', sessionWith({ n: 1 }));
    holdFirstCall('updateOne', 1_000);
    const slow = store.set('slow', sessionWith({ n: 2 })).catch((err: Error) => err);
    const started = Date.now();
    await store.set('other', sessionWith({ n: 2 }));
    expect(Date.now() - started).to.be.below(250);
    expect(await slow).to.be.instanceOf(Error);
  });
});

describe('writes of one session, refreshes and touches included', () => {
  const SESSIONS = 30;
  const ids = Array.from({ length: SESSIONS }, (_, i) => `s${i}`);

  /** Makes every session look idle for a while, so that a get schedules its refresh. */
  async function age(db: ReturnType<typeof freshDb>): Promise<void> {
    await db.collection('Sessions').updateMany({}, { $set: { LastAccessed: new Date(Date.now() - 5_000) } });
  }

  it('overlapping gets and touches revert no acknowledged set (FerretDB v1 replaces documents whole)', async () => {
    const db = freshDb();
    const store = await openStore(db, { TimeToLive: 60, OperationTimeoutMS: 30_000 });
    for (const sid of ids) await store.set(sid, sessionWith({ round: 1 }));
    await age(db);
    await Promise.all(
      ids.flatMap((sid) => [store.get(sid), store.set(sid, sessionWith({ round: 2 })), store.touch(sid, sessionWith({ round: 1 }))]),
    );
    await sleep(2_300); // the gets' refreshes, sent after their wait
    const reverted = (await Promise.all(ids.map((sid) => store.get(sid)))).filter(
      (s) => (s as { round?: number } | null)?.round !== 2,
    ).length;
    expect(reverted, 'acknowledged sets reverted').to.equal(0);
  });

  it('overlapping gets and touches erase no deletion flag', async () => {
    const db = freshDb();
    const store = await openStore(db, { TimeToLive: 60, DeleteFlags: true, OperationTimeoutMS: 30_000 });
    for (const sid of ids) await store.set(sid, sessionWith({ n: 1 }));
    await age(db);
    await Promise.all(ids.flatMap((sid) => [store.get(sid), store.destroy(sid), store.touch(sid, sessionWith({ n: 1 }))]));
    await sleep(2_300);
    const flagged = await db.collection('Sessions').countDocuments({ Delete: true });
    expect(SESSIONS - flagged, 'flags erased').to.equal(0);
    for (const sid of ids) expect(await store.get(sid)).to.equal(null);
  });
});
