import { expect } from 'chai';
import { once } from 'node:events';
import { MongoClient } from 'mongodb';
import createStore = require('../../lib');
import { FaultServer } from '../support/fault-server';
import { Browser, startApp } from '../support/http';
import { skipBecause } from '../support/server';
import { sessionWith, sleep, type SessionStore } from '../support/store';

/** Resolves with how long `promise` took to settle, and how. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; ok: boolean; value?: T; error?: unknown }> {
  const started = Date.now();
  try {
    const value = await promise;
    return { ms: Date.now() - started, ok: true, value };
  } catch (error) {
    return { ms: Date.now() - started, ok: false, error };
  }
}

function waitFor(store: SessionStore, event: 'connect' | 'disconnect', ms: number): Promise<void> {
  return Promise.race([
    once(store, event).then(() => undefined),
    sleep(ms).then(() => {
      throw new Error(`no ${event} event within ${ms} ms`);
    }),
  ]);
}

describe('outages (the test kills and restarts its own server)', function () {
  this.timeout(60_000);
  let server: FaultServer;
  let client: MongoClient;
  let store: SessionStore;
  const BOUND = 1_500;

  before(async function () {
    if (!FaultServer.available()) skipBecause(this as unknown as Mocha.Context, 'MONGODB_URI is set: the server is not ours to kill');
    server = new FaultServer();
    await server.start();
    client = new MongoClient(`${server.uri}outage`, { heartbeatFrequencyMS: 500, serverSelectionTimeoutMS: 30_000 });
    store = await new Promise((resolve, reject) =>
      createStore(client, (err, s) => (err ? reject(err) : resolve(s!)), { OperationTimeoutMS: BOUND, TimeToLive: 3600 }),
    );
  });
  after(async () => {
    await store?.close();
    await client?.close();
    await server?.dispose();
  });

  it('createStore against an unreachable server calls back with an error within OperationTimeoutMS', async () => {
    const nowhere = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 30_000 });
    try {
      const outcome = await timed(
        new Promise((resolve, reject) => createStore(nowhere, (err, s) => (err ? reject(err) : resolve(s)), { OperationTimeoutMS: 400 })),
      );
      expect(outcome.ok).to.equal(false);
      expect(outcome.error)
        .to.be.instanceOf(Error)
        .with.property('message')
        .that.matches(/within 400 ms/);
      expect(outcome.ms).to.be.within(350, 1_000);
    } finally {
      await nowhere.close();
    }
  });

  it('a store whose setup found the server down works once it is back, without being made again', async () => {
    await server.kill();
    const late = new MongoClient(`${server.uri}late`, { heartbeatFrequencyMS: 500, serverSelectionTimeoutMS: 1_000 });
    try {
      const callback = await timed(
        new Promise<SessionStore>((resolve, reject) =>
          createStore(late, (err, s) => (err ? reject(err) : resolve(s!)), { OperationTimeoutMS: 3_000, IndexSessionID: true }),
        ),
      );
      expect(callback.ok).to.equal(false);
      const lateStore = createStore(late, null, { OperationTimeoutMS: 3_000, IndexSessionID: true });
      await lateStore.ready().catch(() => {});
      await server.start();
      await lateStore.set('after', sessionWith({ n: 1 }));
      expect(await lateStore.get('after')).to.deep.include({ n: 1 });
      const indexes = await late.db().collection('Sessions').listIndexes().toArray();
      expect(indexes.map((index) => index.name)).to.include('SessionID_1');
      await lateStore.close();
    } finally {
      await late.close();
      // Leave the shared store serving again for the next test.
      for (let i = 0; i < 100 && !(await timed(store.length())).ok; i++) await sleep(100);
    }
  });

  it('a kill mid-flight ends every pending call within the bound, emits disconnect, and keeps acknowledged sessions', async () => {
    const acknowledged = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      await store.set(`before-${i}`, sessionWith({ version: 1 }));
      acknowledged.set(`before-${i}`, 1);
    }
    const disconnected = waitFor(store, 'disconnect', 10_000);
    const inFlight = Array.from({ length: 200 }, (_, i) => {
      const sid = `before-${i % 50}`;
      const version = 2 + Math.floor(i / 50);
      return timed(store.set(sid, sessionWith({ version }))).then((outcome) => {
        if (outcome.ok) acknowledged.set(sid, Math.max(acknowledged.get(sid)!, version));
        return outcome;
      });
    });
    await sleep(5);
    await server.kill();
    const outcomes = await Promise.all(inFlight);
    for (const outcome of outcomes) expect(outcome.ms).to.be.below(BOUND + 500);
    const failed = outcomes.filter((o) => !o.ok);
    for (const outcome of failed) expect(outcome.error).to.be.instanceOf(Error);
    await disconnected;

    // Calls while the server is down fail within the bound too.
    const down = await timed(store.get('before-1'));
    expect(down.ok).to.equal(false);
    expect(down.ms).to.be.below(BOUND + 500);

    const connected = waitFor(store, 'connect', 15_000);
    await server.start();
    await connected;
    for (const [sid, version] of acknowledged) {
      const session = (await store.get(sid)) as unknown as { version: number } | null;
      expect(session, sid).not.to.equal(null);
      // A set may apply and lose only its answer: never older than the last acknowledged.
      expect(session!.version, sid).to.be.at.least(version);
    }
  });

  it('a server that stops answering (frozen): every pending call ends within the bound, and the last acknowledged write wins once it answers', async () => {
    await store.set('frozen', sessionWith({ version: 1 }));
    server.freeze();
    let calls: { ms: number; ok: boolean; error?: unknown }[];
    try {
      calls = await Promise.all([
        ...Array.from({ length: 20 }, () => timed(store.set('frozen', sessionWith({ version: 2 })))),
        ...Array.from({ length: 20 }, (_, i) => timed(store.get(i % 2 ? 'frozen' : `other-${i}`))),
        timed(store.destroy('other-1')),
        timed(store.length()),
      ]);
    } finally {
      server.thaw();
    }
    for (const call of calls) {
      expect(call.ok).to.equal(false);
      expect(call.ms).to.be.below(BOUND + 500);
      expect(call.error)
        .to.be.instanceOf(Error)
        .with.property('message')
        .that.matches(/within 1500 ms/);
    }
    // The held writes land after the thaw; a write made now still goes out after them.
    let last = await timed(store.set('frozen', sessionWith({ version: 3 })));
    for (let i = 0; i < 20 && !last.ok; i++) last = await timed(store.set('frozen', sessionWith({ version: 3 })));
    expect(last.ok, String(last.error)).to.equal(true);
    expect(await store.get('frozen')).to.deep.include({ version: 3 });
  });

  it('through express-session: errors during the kill, no session while disconnected, served again after restart', async () => {
    const app = await startApp(store);
    try {
      const browser = new Browser(app.url);
      await browser.get('/set?a=1');
      const disconnected = waitFor(store, 'disconnect', 10_000);
      const requests = Array.from({ length: 20 }, () => timed(new Browser(app.url).get('/set?b=2')));
      await server.kill();
      const outcomes = await Promise.all(requests);
      for (const outcome of outcomes) {
        expect(outcome.ok, 'every request is answered').to.equal(true);
        expect(outcome.ms).to.be.below(BOUND + 1_000);
      }
      await disconnected;
      // express-session skips the store while it is disconnected: no session, no hang.
      const during = await timed(browser.get<{ id?: string }>('/get'));
      expect(during.ok).to.equal(true);
      expect(during.value!.body.id).to.equal(undefined);

      const connected = waitFor(store, 'connect', 15_000);
      await server.start();
      await connected;
      const after = await browser.get<{ values: Record<string, string> }>('/get');
      expect(after.status).to.equal(200);
      expect(after.body.values).to.deep.equal({ a: '1' });
    } finally {
      await app.close();
    }
  });
});
