import { expect } from 'chai';
import { Admin, MongoClient, type CommandStartedEvent, type Db, type Document } from 'mongodb';
import sinon from 'sinon';
import type { SessionDocument } from '../../lib/stored/document';
import { detectLayout } from '../../lib/writes/layout';
import { forcedLookup, lookupInUse } from '../support/lookup';
import { isFerretDB, serverUri, skipBecause } from '../support/server';
import { openStore, sessionWith, type Options, type SessionStore } from '../support/store';
import { v1Set } from '../support/legacy-v1';

/**
 * Stale session IDs: signed cookies of sessions that are gone, replayed. Each must cost what a
 * live session costs, counted in commands sent (the driver's command monitoring).
 */

const ANY_1X = { _id: { $type: 'objectId' } };
/** A session whose cookie ends in an hour: what express-session touches. */
const live = (): ReturnType<typeof sessionWith> =>
  ({ cookie: { path: '/', httpOnly: true, originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString() } }) as never;

describe('stale session IDs', () => {
  let client: MongoClient;
  const commands: CommandStartedEvent[] = [];
  /** When each command started and ended, by request ID. */
  const started = new Map<number, number>();
  const ended = new Map<number, number>();
  let db: Db;
  before(async () => {
    client = new MongoClient(serverUri(), { monitorCommands: true, maxPoolSize: 50 });
    client.on('commandStarted', (event) => {
      commands.push(event);
      started.set(event.requestId, performance.now());
    });
    client.on('commandSucceeded', (event) => ended.set(event.requestId, performance.now()));
    client.on('commandFailed', (event) => ended.set(event.requestId, performance.now()));
    await client.connect();
  });
  after(() => client.close());
  beforeEach(() => {
    db = client.db(`esm_test_stale_${process.pid}_${Date.now().toString(36)}`);
  });
  afterEach(async () => {
    sinon.restore();
    await db.dropDatabase();
  });

  /** The session-collection commands one call sends: each as its name and filter. */
  async function sent(call: () => Promise<unknown>): Promise<Array<{ name: string; filter: Document | undefined }>> {
    commands.length = 0;
    await call();
    return commands
      .filter((event) => event.command[event.commandName] === 'Sessions')
      .map((event) => {
        const c = event.command;
        return { name: event.commandName, filter: c.filter ?? c.query ?? c.updates?.[0]?.q ?? c.deletes?.[0]?.q };
      });
  }

  /** Commands of a get, a touch and a destroy of a session another process wrote: what a hit costs. */
  async function hitCosts(store: SessionStore, writer: SessionStore): Promise<Record<'get' | 'touch' | 'destroy', number>> {
    for (const sid of ['hit-get', 'hit-touch', 'hit-destroy']) await writer.set(sid, live());
    return {
      get: (await sent(() => store.get('hit-get'))).length,
      touch: (await sent(() => store.touch('hit-touch', live()))).length,
      destroy: (await sent(() => store.destroy('hit-destroy'))).length,
    };
  }

  const calls = {
    get: (store: SessionStore, sid: string) => store.get(sid),
    touch: (store: SessionStore, sid: string) => store.touch(sid, live()),
    destroy: (store: SessionStore, sid: string) => store.destroy(sid),
  };

  for (const FenceLateWrites of [false, true]) {
    it(`with SharedWith1x false: from its second replay on, a get, touch or destroy of a stale ID sends no more than a hit, and only { _id } (FenceLateWrites ${FenceLateWrites})`, async () => {
      const options: Options = { SharedWith1x: false, FenceLateWrites };
      const store = await openStore(db, options);
      const other = await openStore(db, options);
      const hit = await hitCosts(store, other);
      expect(hit).to.deep.equal({ get: 1, touch: 1, destroy: 1 });
      for (const [name, call] of Object.entries(calls) as Array<[keyof typeof calls, (typeof calls)['get']]>) {
        const sid = `stale-${name}`;
        // Once a session, then gone by another process's hand: this one never saw it.
        await other.set(sid, live());
        await other.destroy(sid);
        const replays = [];
        for (let replay = 1; replay <= 3; replay++) replays.push(await sent(() => call(store, sid)));
        for (const [k, replay] of replays.entries()) {
          const title = `${name}, replay ${k + 1}: ${JSON.stringify(replay)}`;
          if (k > 0 || name === 'get') expect(replay.length, title).to.be.at.most(hit[name]);
          // Never a look among 1.x documents: { _id }, and the liveness conditions of a touch.
          for (const { filter } of replay) expect(filter?._id, title).to.equal(sid);
        }
      }
      for (const sid of ['stale-get', 'stale-touch', 'stale-destroy']) expect(await store.get(sid)).to.equal(null);
    });
  }

  it('with SharedWith1x false, a session another process creates under an ID this one found missing is found, and written', async () => {
    const options: Options = { SharedWith1x: false, UserKey: 'passport.user' };
    const store = await openStore(db, options);
    const other = await openStore(db, options);
    expect(await store.get('later')).to.equal(null);
    await other.set('later', sessionWith({ passport: { user: 'alice' } }));
    expect(await store.get('later')).to.deep.include({ passport: { user: 'alice' } });
    await store.set('later', sessionWith({ passport: { user: 'alice' }, n: 2 }));
    expect(await other.get('later')).to.deep.include({ n: 2 });
  });

  it('with SharedWith1x false, a collection that holds 1.x documents at start is still served with the lookup that finds them', async () => {
    const sessions = db.collection('Sessions');
    await v1Set(sessions, 'old', sessionWith({ n: 1 }));
    const store = await openStore(db, { SharedWith1x: false });
    expect(await store.get('old')).to.deep.include({ n: 1 });
    await store.set('old', sessionWith({ n: 2 }));
    expect(await sessions.countDocuments({ SessionID: 'old' })).to.equal(1);
    expect(await store.get('old')).to.deep.include({ n: 2 });
  });

  describe('behind a mongos (answering hello with msg isdbgrid)', () => {
    const behindMongos = (): void => {
      const command = Admin.prototype.command;
      sinon.stub(Admin.prototype, 'command').callsFake(function (this: Admin, cmd: Document, ...rest: unknown[]) {
        if (cmd.hello) return Promise.resolve({ ok: 1, msg: 'isdbgrid' });
        return (command as (...args: unknown[]) => Promise<Document>).call(this, cmd, ...rest);
      });
    };

    it('a miss goes to one shard once no 1.x document or writer can exist (SharedWith1x false), to every shard otherwise', async () => {
      behindMongos();
      const sessions = db.collection<SessionDocument>('Sessions');
      expect((await detectLayout(db, sessions, { idFiltersOnly: false, shared1x: false })).mode).to.equal('id');
      expect((await detectLayout(db, sessions, { idFiltersOnly: false, shared1x: true })).mode).to.equal('two-step');
      const store = await openStore(db, { SharedWith1x: false });
      // The shard key `{ _id: 'hashed' }` routes exactly this filter to one shard.
      expect(await sent(() => store.get('gone'))).to.deep.equal([{ name: 'find', filter: { _id: 'gone' } }]);
      if (forcedLookup() === 'either') return; // ESM_LOOKUP=either: MongoDB's lookup, forced behind the mongos too
      const shared = await openStore(db);
      expect(await sent(() => shared.get('gone'))).to.deep.equal([
        { name: 'find', filter: { _id: 'gone' } },
        { name: 'find', filter: ANY_1X },
      ]);
    });
  });

  it('where 1.x processes may share the collection, misses share one look among 1.x documents at a time', async function () {
    if (lookupInUse(isFerretDB()) !== 'two-step') skipBecause(this, 'either lookups (MongoDB) never look a second time');
    const store = await openStore(db);
    await db
      .collection('Sessions')
      .insertMany(Array.from({ length: 2_000 }, (_, i) => ({ _id: `filler-${i}`, SessionID: `filler-${i}`, Data: {} })) as never);
    commands.length = 0;
    const misses = 30;
    const found = await Promise.all(Array.from({ length: misses }, (_, i) => store.get(`stale-${i}`)));
    expect(found).to.deep.equal(Array(misses).fill(null));
    const looks = commands.filter((event) => JSON.stringify(event.command.filter) === JSON.stringify(ANY_1X));
    expect(looks.length).to.be.within(1, misses - 1);
    // Never two in flight: each starts once the one before it has ended.
    for (const [k, look] of looks.slice(1).entries()) {
      expect(started.get(look.requestId), `look ${k + 2}`).to.be.at.least(ended.get(looks[k]!.requestId)!);
    }
  });
});
