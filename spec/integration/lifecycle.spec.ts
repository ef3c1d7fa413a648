import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import createStore = require('../../lib');
import { holdFirstCall } from '../support/held-call';
import { driverMajor } from '../support/matrix';
import { freshDb, serverUri, skipBecause } from '../support/server';
import { openStore, sessionWith, sleep } from '../support/store';

describe('lifecycle', () => {
  it('close() ends at once while the setup waits on a server that does not answer, and stops the sweeper once it is done', async () => {
    const slow = holdFirstCall('findOne', 1_500);
    const db = freshDb();
    try {
      const store = createStore(db, null, { TimeToLive: 1, OperationTimeoutMS: 5_000 });
      const started = Date.now();
      await store.close();
      expect(Date.now() - started).to.be.below(200);
      await sleep(1_700); // the setup ends meanwhile, after close
    } finally {
      slow.restore();
    }
    await db.collection('Sessions').insertOne({ _id: 'idle' as never, SessionID: 'idle', Data: {}, LastAccessed: new Date(0) });
    await sleep(2_200); // two sweep periods
    expect(await db.collection('Sessions').countDocuments({ SessionID: 'idle' })).to.equal(1);
  });

  it('a client the application closed stays closed: calls fail with a clear error until the application reconnects it', async function () {
    const client = new MongoClient(serverUri(), { maxPoolSize: 5 });
    await client.connect();
    try {
      const db = client.db(`esm_test_closed_${Date.now().toString(36)}`);
      const store = await openStore(db);
      await store.set('s', sessionWith({ n: 1 }));
      let reopened = 0;
      client.on('topologyOpening', () => reopened++);
      await client.close();
      const err = await store.get('s').catch((e: unknown) => e);
      expect(err)
        .to.be.instanceOf(Error)
        .with.property('message')
        .that.matches(/closed by the application/);
      expect(reopened).to.equal(0);
      // Driver 3.x's databases (and its own, cached ones) stay closed once their client was.
      if (driverMajor() === 3) skipBecause(this, "driver 3.x cannot reopen a closed client's databases; the rest passed");
      await client.connect();
      expect(await store.get('s')).to.deep.include({ n: 1 });
      await db.dropDatabase();
    } finally {
      await client.close();
    }
  });

  describe('a client the application closes while the store is still preparing is never reopened', () => {
    type Closing = (client: MongoClient) => Promise<void>;
    const timings: Array<[string, Closing]> = [
      ['awaited at once', (client) => client.close()],
      // Driver 5 closes a forced client without a topologyClosed event.
      ['at once, forced', (client) => client.close(true)],
      ['at once, not awaited', async (client) => void client.close()],
      ['on the next tick', (client) => new Promise((resolve) => setImmediate(() => resolve(client.close())))],
      ['5 ms later', (client) => sleep(5).then(() => client.close())],
    ];
    for (const connected of [true, false]) {
      for (const [when, closing] of timings) {
        const what = `${connected ? 'connected by the application' : 'left for the driver to connect'}, closed ${when}`;
        it(what, async function () {
          if (!connected && driverMajor() === 3) skipBecause(this, 'driver 3.x hands out no Db of a client not connected yet');
          const client = new MongoClient(serverUri(), { maxPoolSize: 5 });
          if (connected) await client.connect();
          let closeCalled = false;
          let reopened = 0;
          client.on('topologyOpening', () => (reopened += closeCalled ? 1 : 0));
          const store = createStore(client.db(`esm_test_closing_${Date.now().toString(36)}`), null);
          closeCalled = true;
          try {
            await closing(client);
            await store.ready().catch(() => {});
            for (const run of [() => store.get('s'), () => store.set('s', sessionWith({ n: 1 })), () => store.length()]) {
              const err = await run().then(
                () => null,
                (e: unknown) => e,
              );
              expect(err, what)
                .to.be.instanceOf(Error)
                .with.property('message')
                .that.matches(/closed by the application/);
            }
            await sleep(200);
            expect(reopened, 'topologies opened after close()').to.equal(0);
            // Driver 3.x keeps its closed topology object on the client; later drivers drop it.
            if (driverMajor() > 3) {
              expect((client as unknown as { topology?: unknown }).topology, 'the client has a topology again').to.equal(undefined);
            }
          } finally {
            // Where the store did reopen it; else the run would not end.
            await client.close();
          }
        });
      }
    }
  });
  // Only driver 3.x has two topologies; the tests run on the unified one (spec/support/matrix.ts).
  if (driverMajor() === 3) {
    it("driver 3.x's legacy topology: every call on a client the application closed fails at once, with a clear error", async () => {
      const client = new MongoClient(serverUri(), { useUnifiedTopology: false } as never);
      await client.connect();
      const db = client.db(`esm_test_legacy_${Date.now().toString(36)}`);
      try {
        const store = await openStore(db, { OperationTimeoutMS: 3_000 });
        await store.set('s', sessionWith({ n: 1 }));
        await client.close();
        for (const run of [() => store.get('s'), () => store.length(), () => store.set('s', sessionWith({ n: 2 }))]) {
          const started = Date.now();
          const err = await run().then(
            () => null,
            (e: unknown) => e,
          );
          expect(err)
            .to.be.instanceOf(Error)
            .with.property('message')
            .that.matches(/closed by the application/);
          expect(Date.now() - started).to.be.below(1_000);
        }
      } finally {
        const cleanup = new MongoClient(serverUri());
        await cleanup.connect();
        await cleanup.db(db.databaseName).dropDatabase();
        await cleanup.close();
      }
    });
  }
});
