import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import createStore = require('../../lib');
import { withProgress } from '../support/progress';
import { freshDb, serverUri } from '../support/server';
import { openStore, sessionWith } from '../support/store';

describe('concurrency', function () {
  this.timeout(60_000);

  it('1,000 concurrent set/get on distinct sessions: every read returns what its session last stored', async function () {
    // Correctness under load, not speed: FerretDB serialises writes, so give it time. It takes
    // 35 s on a quiet 2-core machine and went past 60 s on a busy one; its progress lines show
    // that it is moving.
    this.timeout(120_000);
    const store = await openStore(freshDb(), { TimeToLive: 3600, Filter: true, OperationTimeoutMS: 60_000 });
    const ids = Array.from({ length: 1_000 }, (_, i) => `s${i}`);
    let writes = 0;
    let reads = 0;
    let step = 'writing';
    const work = async (): Promise<void> => {
      await Promise.all(
        ids.map(async (sid, i) => {
          await store.set(sid, sessionWith({ owner: sid, round: 1 }));
          writes++;
          await store.set(sid, sessionWith({ owner: sid, round: 2, i }));
          writes++;
        }),
      );
      step = 'reading';
      const sessions = await Promise.all(ids.map((sid) => store.get(sid).finally(() => reads++)));
      sessions.forEach((session, i) => expect(session).to.deep.equal(sessionWith({ owner: `s${i}`, round: 2, i })));
      step = 'counting';
      expect(await store.length()).to.equal(1_000);
      // Those reads count as access: their refreshes wait a moment; closing drops them, so that
      // 1,000 updates do not land on the shared server during the next tests.
      step = 'closing the store';
      await store.close();
    };
    await withProgress(
      '1,000 sessions, each written twice then read',
      work,
      () => `${writes} of 2,000 writes and ${reads} of 1,000 reads done; ${step}`,
    );
  });

  it('concurrent sets of one session leave one document holding one of the writes; the next write wins', async () => {
    const db = freshDb();
    const store = await openStore(db, { OperationTimeoutMS: 60_000 });
    const writes = Array.from({ length: 50 }, (_, i) => sessionWith({ writer: i }));
    let settled = 0;
    const results = await withProgress(
      '50 sets of one session at once',
      Promise.allSettled(writes.map((session) => store.set('one', session).finally(() => settled++))),
      () => `${settled} of 50 settled`,
    );
    expect(results.every((r) => r.status === 'fulfilled')).to.equal(true);
    expect(await db.collection('Sessions').countDocuments({ SessionID: 'one' })).to.equal(1);
    const stored = (await store.get('one')) as unknown as { writer: number };
    expect(stored.writer).to.be.within(0, 49);
    await store.set('one', sessionWith({ writer: 'last' }));
    expect(await store.get('one')).to.deep.include({ writer: 'last' });
  });

  it('eight stores created at once on one fresh collection all call back without error; indexes exist once', async () => {
    const name = freshDb().databaseName;
    const clients = Array.from({ length: 8 }, () => new MongoClient(serverUri()));
    try {
      const results = await Promise.allSettled(
        clients.map(
          (client) =>
            new Promise((resolve, reject) =>
              createStore(client.db(name), (err, s) => (err ? reject(err) : resolve(s)), { IndexSessionID: true, TimeToLive: 60 }),
            ),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected')).to.deep.equal([]);
      const names = (await clients[0]!.db(name).collection('Sessions').listIndexes().toArray()).map((index) => String(index.name));
      expect(names.filter((n) => n === 'SessionID_1')).to.have.length(1);
      expect(new Set(names).size).to.equal(names.length);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });
});
