import { expect } from 'chai';
import { Collection, MongoClient, MongoServerError, type CommandStartedEvent, type MongoClientOptions } from 'mongodb';
import sinon from 'sinon';
import { FaultServer } from '../support/fault-server';
import { holdFirstCall } from '../support/held-call';
import { freshDb, serverUri, skipBecause } from '../support/server';
import { openStore, sessionWith, sleep, type SessionStore } from '../support/store';

/*
 * Issue 11, outcome 5: a write whose caller was told StoreTimeoutError must not land later
 * over a newer write. What the store holds, it drops: a step not sent yet, a retry, a write
 * waiting behind an earlier write of the same session. What the driver or the server already
 * holds is in docs/outages-and-timeouts.md ("What a timeout leaves possible"), with the client options that
 * make the driver give up first.
 */

function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'acknowledged',
    (err: Error) => err.name,
  );
}

describe('a write whose caller timed out (issue 11)', () => {
  afterEach(() => sinon.restore());

  it("a write queued behind a held one is dropped, never sent over another process's newer write", async () => {
    const db = freshDb();
    const store = await openStore(db, { OperationTimeoutMS: 300 });
    const other = new MongoClient(serverUri(), { maxPoolSize: 5 });
    try {
      const otherStore = await openStore(other.db(db.databaseName), { OperationTimeoutMS: 5_000 });
      await store.set('s', sessionWith({ n: 1 }));
      holdFirstCall('updateOne', 1_000); // n: 2 waits, as for a server
      const held = outcome(store.set('s', sessionWith({ n: 2 })));
      const queued = outcome(store.set('s', sessionWith({ n: 3 }))); // waits behind n: 2
      expect([await held, await queued]).to.deep.equal(['StoreTimeoutError', 'StoreTimeoutError']);
      await otherStore.set('s', sessionWith({ n: 4 })); // another process, told it succeeded
      await sleep(1_200); // the hold ends: n: 2, already with the driver, goes; n: 3 would follow it
      const stored = (await db.collection('Sessions').findOne({ _id: 's' as never }))?.Data as { n: number };
      expect(stored.n, 'the queued write (n: 3) was sent after its caller timed out').not.to.equal(3);
    } finally {
      await other.close();
    }
  });

  it('transient refusals are not retried once the caller was told it timed out', async () => {
    const store = await openStore(freshDb(), { OperationTimeoutMS: 100 });
    await store.set('s', sessionWith({ n: 1 }));
    const busy = new MongoServerError({ message: 'database is locked (SQLITE_BUSY)' });
    const update = sinon.stub(Collection.prototype, 'updateOne').rejects(busy);
    expect(await outcome(store.set('s', sessionWith({ n: 2 })))).to.equal('StoreTimeoutError');
    const attemptsAtTimeout = update.callCount;
    await sleep(800); // the backoff would have tried 6 times by now
    expect(attemptsAtTimeout, 'attempts before the timeout').to.be.at.least(1);
    expect(update.callCount, 'attempts after the timeout').to.equal(attemptsAtTimeout);
  });

  it('each write carries the time left as maxTimeMS; none without OperationTimeoutMS', async () => {
    const client = new MongoClient(serverUri(), { monitorCommands: true, maxPoolSize: 5 });
    const writes: CommandStartedEvent[] = [];
    client.on('commandStarted', (event: CommandStartedEvent) => {
      if (['insert', 'update', 'delete', 'findAndModify'].includes(event.commandName)) writes.push(event);
    });
    try {
      const db = client.db(freshDb().databaseName);
      for (const [limit, expected] of [
        [2_000, true],
        [0, false],
      ] as const) {
        writes.length = 0;
        const store = await openStore(db, { OperationTimeoutMS: limit, CollectionName: `s${limit}`, TimeToLive: 60 });
        await store.set('s', sessionWith({ n: 1 })); // insert
        await store.set('s', sessionWith({ n: 2 })); // update
        await store.touch('s', sessionWith({ n: 2 }));
        await store.destroy('s');
        expect(writes.map((w) => w.commandName)).to.include.members(['insert', 'delete']);
        for (const write of writes) {
          const maxTimeMS = (write.command as { maxTimeMS?: number }).maxTimeMS;
          if (expected) expect(maxTimeMS, write.commandName).to.be.within(1, limit);
          else expect(maxTimeMS, write.commandName).to.equal(undefined);
        }
        await store.close();
      }
    } finally {
      await client.close();
    }
  });
});

describe('a write waiting for a free connection when its caller timed out (the test freezes its own server)', function () {
  this.timeout(30_000);
  let server: FaultServer;

  before(async function () {
    if (!FaultServer.available()) skipBecause(this as unknown as Mocha.Context, 'MONGODB_URI is set: the server is not ours to freeze');
    server = new FaultServer();
    await server.start();
  });
  after(async () => {
    server?.thaw();
    await server?.dispose();
  });

  /** Freezes the server under two writes on a one-connection client; what `waiting` holds afterwards. */
  async function waitingWrite(db: string, clientOptions: MongoClientOptions, waitingFails: string): Promise<number | undefined> {
    // One connection: while it is stuck on the frozen server, the next write waits for it.
    const client = new MongoClient(`${server.uri}${db}`, { maxPoolSize: 1, ...clientOptions });
    const store = await openStore(client.db(), { OperationTimeoutMS: 500 });
    try {
      await store.set('on-the-wire', sessionWith({ n: 1 }));
      await store.set('waiting', sessionWith({ n: 1 }));
      server.freeze();
      let results: string[];
      try {
        results = await Promise.all([
          outcome(store.set('on-the-wire', sessionWith({ n: 2 }))), // holds the one connection
          sleep(50).then(() => outcome(store.set('waiting', sessionWith({ n: 2 })))),
        ]);
        await sleep(300);
      } finally {
        server.thaw();
      }
      expect(results).to.deep.equal(['StoreTimeoutError', waitingFails]);
      await sleep(1_000);
      const sessions = client.db().collection<{ _id: string; Data: { n: number } }>('Sessions');
      return (await sessions.findOne({ _id: 'waiting' }))?.Data.n;
    } finally {
      await store.close();
      await client.close(true);
    }
  }

  it("with the client's waitQueueTimeoutMS below OperationTimeoutMS (docs), is never sent", async () => {
    expect(
      await waitingWrite('queue-limit', { waitQueueTimeoutMS: 300 }, 'MongoWaitQueueTimeoutError'),
      'the waiting write was sent late',
    ).to.equal(1);
  });

  it('without it, is sent once the connection frees up, as the docs say', async () => {
    expect(await waitingWrite('no-queue-limit', {}, 'StoreTimeoutError'), 'the waiting write').to.equal(2);
  });
});

describe('a late write from another process, with FenceLateWrites (issue 11)', () => {
  afterEach(() => sinon.restore());

  /** Two stores on one collection through clients of their own: two processes. */
  async function twoProcesses(
    fence: boolean,
  ): Promise<{ late: SessionStore; other: SessionStore; raw: Collection; close(): Promise<void> }> {
    const db = freshDb();
    const clients = [new MongoClient(serverUri(), { maxPoolSize: 5 }), new MongoClient(serverUri(), { maxPoolSize: 5 })];
    const [late, other] = await Promise.all(
      clients.map((client, i) =>
        openStore(client.db(db.databaseName), { FenceLateWrites: fence, OperationTimeoutMS: i === 0 ? 300 : 5_000 }),
      ),
    );
    return {
      late: late!,
      other: other!,
      raw: db.collection('Sessions'),
      close: async () => void (await Promise.all(clients.map((c) => c.close()))),
    };
  }

  const stored = async (raw: Collection, sid: string): Promise<{ n: number } | undefined> =>
    ((await raw.findOne({ _id: sid as never }))?.Data as { n: number } | undefined) ?? undefined;

  for (const fence of [true, false]) {
    it(`a set that reaches the server after another process's newer set ${fence ? 'changes nothing' : 'lands over it (FenceLateWrites off)'}`, async () => {
      const { late, other, raw, close } = await twoProcesses(fence);
      try {
        await late.set('s', sessionWith({ n: 1 }));
        holdFirstCall('updateOne', 1_000); // sent, but not yet applied: as on a stalled server
        expect(await outcome(late.set('s', sessionWith({ n: 2 })))).to.equal('StoreTimeoutError');
        await sleep(100);
        await other.set('s', sessionWith({ n: 3 })); // acknowledged
        await sleep(1_000); // n: 2 reaches the server now
        expect((await stored(raw, 's'))?.n).to.equal(fence ? 3 : 2);
      } finally {
        await close();
      }
    });
  }

  it('a destroy that reaches the server after another process saved the session again removes nothing', async () => {
    const { late, other, raw, close } = await twoProcesses(true);
    try {
      await late.set('s', sessionWith({ n: 1 }));
      holdFirstCall('deleteMany', 1_000);
      expect(await outcome(late.destroy('s'))).to.equal('StoreTimeoutError');
      await sleep(100);
      await other.set('s', sessionWith({ n: 3 }));
      await sleep(1_000);
      expect((await stored(raw, 's'))?.n).to.equal(3);
    } finally {
      await close();
    }
  });

  it('a write refused by a later stamp while its caller waits (a clock ahead elsewhere) still lands: set, touch, destroy', async () => {
    const { late, raw, close } = await twoProcesses(true);
    try {
      const ahead = new Date(Date.now() + 60_000); // another process, its clock a minute fast
      await late.set('s', sessionWith({ n: 1 }));
      await raw.updateOne({ _id: 's' as never }, { $set: { Written: ahead } });
      await late.set('s', sessionWith({ n: 2 }));
      const afterSet = await raw.findOne({ _id: 's' as never });
      expect((afterSet?.Data as { n: number }).n).to.equal(2);
      expect((afterSet?.Written as Date).getTime()).to.equal(ahead.getTime() + 1);

      const expires = new Date(Date.now() + 3_600_000);
      await raw.updateOne({ _id: 's' as never }, { $set: { Written: new Date(ahead.getTime() + 10) } });
      await late.touch('s', { ...sessionWith({ n: 2 }), cookie: { originalMaxAge: 3_600_000, expires, path: '/' } } as never);
      expect(((await raw.findOne({ _id: 's' as never }))?.Expires as Date).getTime()).to.equal(expires.getTime());

      await raw.updateOne({ _id: 's' as never }, { $set: { Written: new Date(ahead.getTime() + 20) } });
      await late.destroy('s');
      expect(await raw.countDocuments({ _id: 's' as never })).to.equal(0);
    } finally {
      await close();
    }
  });
});
