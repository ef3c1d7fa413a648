import { expect } from 'chai';
import type { CommandStartedEvent, Db } from 'mongodb';
import { MongoClient } from 'mongodb';
import { v1Set } from '../support/legacy-v1';
import { Browser, startApp } from '../support/http';
import { firstWrite, lookupInUse } from '../support/lookup';
import { isFerretDB, serverUri } from '../support/server';
import { madeHere, openStore, sessionWith, type Options, type SessionStore } from '../support/store';

/** Lookups in two steps insert new sessions; one filter for 2.x and 1.x documents upserts them. */
const twoStep = (): boolean => lookupInUse(isFerretDB()) === 'two-step';
const NEW = (): string => firstWrite(isFerretDB());

/**
 * A set of a session express-session made here goes out as an insert where lookups are two
 * steps, and falls back to an update when the session exists after all. A set of any other
 * session this process has not lately found or written first looks among 1.x documents there.
 */
describe('new sessions', () => {
  let client: MongoClient;
  const sent: string[] = [];
  let counter = 0;
  before(async () => {
    client = new MongoClient(serverUri(), { monitorCommands: true });
    client.on('commandStarted', (event: CommandStartedEvent) => sent.push(event.commandName));
    await client.connect();
  });
  after(() => client.close());

  const dbs: Db[] = [];
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.dropDatabase();
  });

  async function fresh(options?: Options): Promise<{ db: Db; store: SessionStore }> {
    const db = client.db(`esm_test_new_${process.pid}_${counter++}`);
    dbs.push(db);
    const store = await openStore(db, options);
    sent.length = 0;
    return { db, store };
  }

  it('are stored in one write (an insert with two-step lookups), in the document an upsert would write', async () => {
    for (const Filter of [false, true]) {
      const { db, store } = await fresh({ Filter, TimeToLive: 60 });
      const data = Filter ? { 'a.b': 1 } : { a: 1 };
      madeHere(store, 'new');
      await store.set('new', sessionWith(data));
      expect(sent).to.deep.equal([NEW()]);
      const doc = await db.collection('Sessions').findOne({});
      expect(Object.keys(doc!).sort()).to.deep.equal(
        ['Created', 'Data', 'FilterVersion', 'LastAccessed', 'SessionID', 'Written', '_id'].sort(),
      );
      expect(doc).to.deep.include({ _id: 'new', SessionID: 'new' });
      expect(await store.get('new')).to.deep.equal(sessionWith(data));
    }
  });

  it('a session found or written before is updated in one round trip', async () => {
    const { store } = await fresh();
    madeHere(store, 's');
    await store.set('s', sessionWith({ n: 1 }));
    await store.set('s', sessionWith({ n: 2 }));
    expect(await store.get('s')).to.deep.include({ n: 2 });
    await store.set('s', sessionWith({ n: 3 }));
    expect(sent).to.deep.equal([NEW(), 'update', 'find', 'update']);
  });

  it('a session another process wrote is replaced, not duplicated', async () => {
    const { db, store } = await fresh();
    const other = await openStore(db);
    await other.set('shared', sessionWith({ by: 'other' }));
    sent.length = 0;
    await store.set('shared', sessionWith({ by: 'this' }));
    expect(sent).to.deep.equal(twoStep() ? ['find', 'insert', 'update'] : ['update']);
    expect(await db.collection('Sessions').countDocuments({})).to.equal(1);
    expect(await other.get('shared')).to.deep.include({ by: 'this' });
  });

  it('through express-session, a new session and a regenerated one are each saved in one write, with no lookup', async () => {
    const { store } = await fresh();
    const app = await startApp(store);
    try {
      const browser = new Browser(app.url);
      await browser.get('/set?k=1');
      expect(sent).to.deep.equal([NEW()]);
      sent.length = 0;
      const { body } = await browser.get<{ id: string; before: string }>('/regenerate?k=2');
      expect(body.id).not.to.equal(body.before);
      // express-session reads the cookie's session, then deletes it, then saves the new one.
      expect(sent).to.deep.equal(['find', 'delete', NEW()]);
    } finally {
      await app.close();
    }
  });

  it('a set of a session not made here (no generate first) looks among 1.x documents before inserting, with two-step lookups', async () => {
    const { db, store } = await fresh();
    await store.set('blind', sessionWith({ n: 1 }));
    expect(sent).to.deep.equal(twoStep() ? ['find', 'insert'] : ['update']);
    expect(await db.collection('Sessions').countDocuments({})).to.equal(1);
    // Made once, then forgotten: the next blind set of another ID looks again.
    madeHere(store, 'made');
    sent.length = 0;
    await store.set('made', sessionWith({ n: 2 }));
    await store.set('other', sessionWith({ n: 3 }));
    expect(sent).to.deep.equal(twoStep() ? ['insert', 'find', 'insert'] : ['update', 'update']);
  });

  it('a flagged session keeps its flag when a process that never saw it saves it late', async () => {
    const { db, store } = await fresh({ DeleteFlags: true });
    const other = await openStore(db, { DeleteFlags: true });
    await other.set('gone', sessionWith({ n: 1 }));
    await other.destroy('gone');
    await store.set('gone', sessionWith({ n: 2 }));
    expect(await store.get('gone')).to.equal(null);
    expect(await db.collection('Sessions').findOne({ _id: 'gone' as never })).to.deep.include({ Delete: true });
  });

  it('a session destroyed and saved again is stored again', async () => {
    const { store } = await fresh();
    await store.set('s', sessionWith({ n: 1 }));
    await store.destroy('s');
    await store.set('s', sessionWith({ n: 2 }));
    expect(await store.get('s')).to.deep.include({ n: 2 });
  });

  it('racing saves of one new session from two processes leave one document and no error', async () => {
    const { db, store } = await fresh();
    const other = await openStore(db);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).set('race', sessionWith({ i }))));
    expect(await db.collection('Sessions').countDocuments({ _id: 'race' as never })).to.equal(1);
  });

  it('in a collection keyed as 1.x keyed it, new sessions are upserted', async () => {
    const db = client.db(`esm_test_new_${process.pid}_${counter++}`);
    dbs.push(db);
    await v1Set(db.collection('Sessions'), 'old', sessionWith({ n: 1 }));
    const store = await openStore(db);
    sent.length = 0;
    await store.set('new', sessionWith({ n: 2 }));
    expect(sent).to.deep.equal(['update']);
    expect(await store.get('new')).to.deep.include({ n: 2 });
  });
});
