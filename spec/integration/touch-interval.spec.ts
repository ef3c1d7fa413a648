import { expect } from 'chai';
import { Collection, MongoClient, type CommandStartedEvent } from 'mongodb';
import sinon from 'sinon';
import { serverUri } from '../support/server';
import { openStore, sessionWith, type Options } from '../support/store';

const WRITES = new Set(['update', 'findAndModify', 'delete', 'insert']);

describe('TouchInterval', () => {
  let client: MongoClient;
  const names: string[] = [];
  before(async () => {
    client = new MongoClient(serverUri(), { monitorCommands: true });
    client.on('commandStarted', (event: CommandStartedEvent) => names.push(event.commandName));
    await client.connect();
  });
  after(() => client.close());
  afterEach(() => sinon.restore());

  async function run(options: Options, steps: (store: Awaited<ReturnType<typeof openStore>>) => Promise<void>): Promise<string[]> {
    const db = client.db(`esm_test_touch_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`);
    try {
      const store = await openStore(db, options);
      names.length = 0;
      await steps(store);
      return [...names];
    } finally {
      await db.dropDatabase();
    }
  }

  it('default 0: every read rewrites LastAccessed, as 1.x did, but the touch right after a get', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const sent = await run({ TimeToLive: 60 }, async (store) => {
      await store.set('s', sessionWith({}));
      clock.tick(1_000);
      await store.get('s');
      await store.touch('s', sessionWith({})); // express-session's touch after that get
      clock.tick(1_000);
      await store.get('s');
      clock.tick(1_000);
      await store.touch('s', sessionWith({}));
    });
    expect(sent).to.deep.equal(['insert', 'findAndModify', 'findAndModify', 'findAndModify']);
  });

  it('within the interval, get reads without writing and touch sends nothing', async () => {
    const sent = await run({ TimeToLive: 60, TouchInterval: 30 }, async (store) => {
      await store.set('s', sessionWith({ n: 1 }));
      expect(await store.get('s')).to.deep.include({ n: 1 });
      await store.touch('s', sessionWith({ n: 1 }));
      await store.get('s');
      await store.touch('s', sessionWith({ n: 1 }));
    });
    expect(sent).to.deep.equal(['insert', 'find', 'find']);
    expect(sent.filter((name) => WRITES.has(name))).to.have.length(1);
  });

  it('once the interval has passed, the next get or touch rewrites it, in one round trip', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const sent = await run({ TimeToLive: 60, TouchInterval: 30 }, async (store) => {
      await store.set('s', sessionWith({}));
      clock.tick(31_000);
      await store.get('s');
      await store.touch('s', sessionWith({}));
      clock.tick(31_000);
      await store.touch('s', sessionWith({}));
    });
    expect(sent).to.deep.equal(['insert', 'findAndModify', 'findAndModify']);
  });

  it('expiry stays precise to within the interval: an idle session is never served', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    await run({ TimeToLive: 60, TouchInterval: 30 }, async (store) => {
      await store.set('s', sessionWith({}));
      clock.tick(29_000);
      expect(await store.get('s')).not.to.equal(null); // read, no write: LastAccessed stays 29 s old
      clock.tick(32_000);
      // 61 s after the last write, 32 s after the last read: gone, at most 30 s early.
      expect(await store.get('s')).to.equal(null);
    });
  });

  it('reads of one session while its refresh is in flight send no refresh of their own', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const sent = await run({ TimeToLive: 60 }, async (store) => {
      await store.set('s', sessionWith({ n: 1 }));
      clock.tick(2_000);
      const sessions = await Promise.all(Array.from({ length: 8 }, () => store.get('s')));
      for (const session of sessions) expect(session).to.deep.include({ n: 1 });
    });
    expect(sent.filter((name) => name === 'findAndModify')).to.have.length(1);
    expect(sent.filter((name) => name === 'find')).to.have.length(7);
  });

  it('a refresh that failed is not counted: the next read sends it again', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const sent = await run({ TimeToLive: 60, OperationTimeoutMS: 2_000 }, async (store) => {
      await store.set('s', sessionWith({ n: 1 }));
      clock.tick(2_000);
      const refresh = sinon.stub(Collection.prototype, 'findOneAndUpdate').rejects(new Error('boom'));
      let failure: unknown;
      await store.get('s').catch((err: unknown) => (failure = err));
      expect(failure).to.be.instanceOf(Error).with.property('message', 'boom');
      refresh.restore();
      expect(await store.get('s')).to.deep.include({ n: 1 });
    });
    expect(sent).to.deep.equal(['insert', 'findAndModify']);
  });
});
