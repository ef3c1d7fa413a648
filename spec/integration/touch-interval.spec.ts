import { expect } from 'chai';
import { Collection, MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import sinon from 'sinon';
import { firstWrite } from '../support/lookup';
import { isFerretDB, serverUri } from '../support/server';
import { madeHere, openStore, sessionWith, sleep, type Options } from '../support/store';

const WRITES = new Set(['update', 'findAndModify', 'delete', 'insert']);
/** A new session's first save (see spec/support/lookup). */
const NEW = (): string => firstWrite(isFerretDB());

/** What a run sent after the new session's first save, which may itself be an update (an upsert). */
function afterFirstSave(sent: string[]): string[] {
  expect(sent[0]).to.equal(NEW());
  return sent.slice(1);
}

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

  async function run(options: Options, steps: (store: Awaited<ReturnType<typeof openStore>>, db: Db) => Promise<void>): Promise<string[]> {
    const db = client.db(`esm_test_touch_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`);
    try {
      const store = await openStore(db, options);
      madeHere(store, 's'); // as express-session does for a new session: its first set inserts
      names.length = 0;
      await steps(store, db);
      return [...names];
    } finally {
      await db.dropDatabase();
    }
  }

  it("default 0: a read-only request (get, then touch) writes once: the get's refresh gives way to the touch", async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const sent = await run({ TimeToLive: 10 }, async (store) => {
      await store.set('s', sessionWith({}));
      clock.tick(2_000);
      await store.get('s');
      await store.touch('s', sessionWith({})); // express-session's touch after that get
      clock.tick(2_000);
      await store.touch('s', sessionWith({}));
      await sleep(1_300); // longer than the refresh would wait
    });
    expect(sent).to.deep.equal([NEW(), 'find', 'update', 'update']);
  });

  it('default 0: a get alone restarts the idle clock a moment later, as of the read', async () => {
    const sent = await run({ TimeToLive: 10 }, async (store, db) => {
      await store.set('s', sessionWith({}));
      await ageSession(db, 's', 5);
      const readAt = Date.now();
      await store.get('s');
      expect(names).to.deep.equal([NEW(), 'update', 'find']);
      await sleep(1_300);
      const stored = await lastAccessedOf(db, 's');
      expect(stored).to.be.within(readAt, readAt + 100);
    });
    expect(afterFirstSave(sent).filter((name) => name === 'update')).to.have.length(2); // the ageing, the refresh
  });

  it('within the interval, get reads without writing and touch sends nothing', async () => {
    const sent = await run({ TimeToLive: 60, TouchInterval: 30 }, async (store) => {
      await store.set('s', sessionWith({ n: 1 }));
      expect(await store.get('s')).to.deep.include({ n: 1 });
      await store.touch('s', sessionWith({ n: 1 }));
      await store.get('s');
      await store.touch('s', sessionWith({ n: 1 }));
    });
    expect(sent).to.deep.equal([NEW(), 'find', 'find']);
    expect(sent.filter((name) => WRITES.has(name))).to.have.length(1);
  });

  it('once the interval has passed, a get and its touch write once, carrying the renewed cookie', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const sent = await run({ TimeToLive: 60, TouchInterval: 30 }, async (store) => {
      await store.set('s', sessionWith({}));
      clock.tick(31_000);
      await store.get('s');
      await store.touch('s', sessionWith({}));
      clock.tick(31_000);
      await store.touch('s', sessionWith({}));
    });
    expect(sent).to.deep.equal([NEW(), 'find', 'update', 'update']);
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

  it('reads of one session while its refresh waits send one refresh between them', async () => {
    const sent = await run({ TimeToLive: 60 }, async (store, db) => {
      await store.set('s', sessionWith({ n: 1 }));
      await ageSession(db, 's', 2);
      const sessions = await Promise.all(Array.from({ length: 8 }, () => store.get('s')));
      for (const session of sessions) expect(session).to.deep.include({ n: 1 });
      await sleep(2_300);
    });
    expect(sent.filter((name) => name === 'find')).to.have.length(8);
    expect(afterFirstSave(sent).filter((name) => name === 'update')).to.have.length(2); // the ageing, the refresh
  });

  it('a refresh that failed is not counted: the next read schedules it again', async () => {
    const sent = await run({ TimeToLive: 10, TouchInterval: 5 }, async (writer, db) => {
      await writer.set('s', sessionWith({ n: 1 }));
      await ageSession(db, 's', 6);
      // Another process's store: it has not seen the session's clock lately.
      const store = await openStore(db, { TimeToLive: 10, TouchInterval: 5 });
      const refresh = sinon.stub(Collection.prototype, 'updateOne').rejects(new Error('boom'));
      expect(await store.get('s')).to.deep.include({ n: 1 });
      await sleep(1_300);
      expect(refresh.callCount).to.equal(1);
      refresh.restore();
      expect(await store.get('s')).to.deep.include({ n: 1 });
      await sleep(1_300);
    });
    expect(afterFirstSave(sent).filter((name) => name === 'update')).to.have.length(2); // the ageing, the second refresh
  });
});

/** Makes a stored session look idle for `seconds`. */
async function ageSession(db: Db, sid: string, seconds: number): Promise<void> {
  await db.collection('Sessions').updateOne({ _id: sid as never }, { $set: { LastAccessed: new Date(Date.now() - seconds * 1000) } });
}

async function lastAccessedOf(db: Db, sid: string): Promise<number> {
  const doc = await db.collection('Sessions').findOne({ _id: sid as never });
  return (doc!.LastAccessed as Date).getTime();
}
