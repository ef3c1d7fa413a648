import { expect } from 'chai';
import { Collection, type Db } from 'mongodb';
import sinon from 'sinon';
import type createStoreTypes from '../../types';
import * as options from '../../lib/calls/options';
import { holdFirstCall } from '../support/held-call';
import { Browser, startApp } from '../support/http';
import { freshDb } from '../support/server';
import { snippet } from '../support/snippets';
import { madeHere, openStore, sessionWith, sleep, type Options, type SessionStore } from '../support/store';

/**
 * The session events, as connect-mongo 6 emits them (docs/events.md): each once, with its
 * arguments, only after the server acknowledged the call, before the caller hears of it.
 */

type StoreEvents = createStoreTypes.StoreEvents;
type Heard = [string, ...unknown[]];

const NAMES: Array<keyof StoreEvents> = ['create', 'update', 'set', 'touch', 'destroy', 'get', 'all', 'revoke'];

/** Every session event of `store`, in order, into `log`; the callbacks of a test add theirs to the same log. */
function listen(store: SessionStore, log: Heard[] = []): Heard[] {
  for (const name of NAMES) store.on(name, (...args: unknown[]) => log.push([name, ...args]));
  return log;
}

/** A callback call as a promise that also logs when the callback ran. */
function called<T>(log: Heard[], run: (cb: (err: Error | null, result?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) =>
    run((err, result) => {
      log.push(['callback', err ? err.message : null]);
      if (err) reject(err);
      else resolve(result);
    }),
  );
}

/** Stores of this test open with MongoDB's lookup ('either': a new session's first save is an upsert) or FerretDB v1's ('two-step': an insert). */
function forceLookup(mode: options.ForcedLookup): void {
  const read = options.readOptions;
  sinon.replace(options, 'readOptions', (input) => ({ ...read(input), lookup: mode }));
}

const docOf = (db: Db, sid: string): Promise<Record<string, unknown> | null> => db.collection('Sessions').findOne({ SessionID: sid });

describe('events', () => {
  afterEach(() => sinon.restore());

  async function open(opts: Options = {}): Promise<{ db: Db; store: SessionStore; log: Heard[] }> {
    const db = freshDb();
    const store = await openStore(db, opts);
    return { db, store, log: listen(store) };
  }

  for (const mode of ['two-step', 'either'] as const) {
    describe(`set, with the ${mode} lookup`, () => {
      beforeEach(() => forceLookup(mode));

      it('create then set for a new session, before the callback; update then set for the next', async () => {
        const { db, store, log } = await open();
        madeHere(store, 'a');
        // The document is there when the listeners hear of it: emitted after the acknowledgement.
        store.on('create', (sid) => void docOf(db, sid).then((doc) => log.push(['stored', doc !== null])));
        await called(log, (cb) => store.set('a', sessionWith({ n: 1 }), cb));
        await sleep(50);
        await called(log, (cb) => store.set('a', sessionWith({ n: 2 }), cb));
        expect(log).to.deep.equal([
          ['create', 'a'],
          ['set', 'a'],
          ['callback', null],
          ['stored', true],
          ['update', 'a'],
          ['set', 'a'],
          ['callback', null],
        ]);
      });

      it('create for a set of an ID this process never saw, update for one another process made', async () => {
        const { db, store, log } = await open();
        await store.set('blind', sessionWith({ n: 1 }));
        expect(log).to.deep.equal([
          ['create', 'blind'],
          ['set', 'blind'],
        ]);
        const other = await openStore(db);
        await other.set('theirs', sessionWith({ n: 1 }));
        log.length = 0;
        await store.set('theirs', sessionWith({ n: 2 }));
        expect(log).to.deep.equal([
          ['update', 'theirs'],
          ['set', 'theirs'],
        ]);
        expect((await docOf(db, 'theirs'))?.Data).to.deep.include({ n: 2 });
      });

      it('create again for a known session whose document went meanwhile (the server says it made it)', async () => {
        const { db, store, log } = await open();
        madeHere(store, 'b');
        await store.set('b', sessionWith({ n: 1 }));
        await db.collection('Sessions').deleteMany({ SessionID: 'b' });
        log.length = 0;
        await store.set('b', sessionWith({ n: 2 }));
        expect(log).to.deep.equal([
          ['create', 'b'],
          ['set', 'b'],
        ]);
      });
    });
  }

  it('a set that stores nothing (UserKey: a session that went is not written back) emits nothing', async () => {
    const { db, store, log } = await open({ UserKey: 'user' });
    madeHere(store, 'u');
    await store.set('u', sessionWith({ user: 'ann' }));
    await db.collection('Sessions').deleteMany({ SessionID: 'u' });
    log.length = 0;
    await store.set('u', sessionWith({ user: 'ann', n: 2 }));
    expect(log).to.deep.equal([]);
    expect(await docOf(db, 'u')).to.equal(null);
  });

  it('touch(sid, session) when the touch was stored; none when TouchInterval skips it or the session is gone', async () => {
    const { db, store, log } = await open({ TimeToLive: 60, TouchInterval: 30 });
    madeHere(store, 't');
    await store.set('t', sessionWith({}));
    const other = await openStore(db, { TimeToLive: 60 }); // no TouchInterval: every touch is stored
    listen(other, log);
    log.length = 0;
    await store.touch('t', sessionWith({})); // within the interval of the set: skipped
    const session = sessionWith({ k: 1 });
    await called(log, (cb) => other.touch('t', session, cb));
    await db.collection('Sessions').deleteMany({ SessionID: 't' });
    await other.touch('t', sessionWith({})); // gone: nothing to renew
    expect(log).to.deep.equal([
      ['touch', 't', session],
      ['callback', null],
    ]);
  });

  it('get(sid) for a session found and, as connect-mongo, for one found missing', async () => {
    const { store, log } = await open();
    madeHere(store, 'g');
    await store.set('g', sessionWith({}));
    log.length = 0;
    await called(log, (cb) => store.get('g', cb));
    expect(await store.get('nobody')).to.equal(null);
    expect(log).to.deep.equal([
      ['get', 'g'],
      ['callback', null],
      ['get', 'nobody'],
    ]);
  });

  it('destroy(sid) once deleted, also for a session not there (as connect-mongo); with DeleteFlags once flagged', async () => {
    const { db, store, log } = await open();
    madeHere(store, 'd');
    await store.set('d', sessionWith({}));
    log.length = 0;
    store.on('destroy', (sid) => void docOf(db, sid).then((doc) => log.push(['left', doc])));
    await called(log, (cb) => store.destroy('d', cb));
    await sleep(50);
    await store.destroy('never');
    await sleep(50);
    expect(log).to.deep.equal([
      ['destroy', 'd'],
      ['callback', null],
      ['left', null],
      ['destroy', 'never'],
      ['left', null],
    ]);

    const flagging = await open({ DeleteFlags: true });
    await flagging.store.set('f', sessionWith({}));
    flagging.log.length = 0;
    expect(await flagging.store.destroy('f')).to.equal(1);
    expect(flagging.log).to.deep.equal([['destroy', 'f']]);
    expect(await docOf(flagging.db, 'f')).to.deep.include({ Delete: true });
  });

  it('revoke(userId, count) after FlagUserSessions, with the count it calls back', async () => {
    const { store, log } = await open({ UserKey: 'passport.user' });
    for (const sid of ['r1', 'r2', 'r3']) await store.set(sid, sessionWith({ passport: { user: 'ann' } }));
    log.length = 0;
    const count = await called(log, (cb) => store.FlagUserSessions('ann', 'r3', cb));
    await store.FlagUserSessions('ann', 'r3');
    expect(count).to.equal(2);
    expect(log).to.deep.equal([
      ['revoke', 'ann', 2],
      ['callback', null],
      ['revoke', 'ann', 0],
    ]);
  });

  it('all(sessions), as connect-mongo, with the sessions it calls back', async () => {
    const { store, log } = await open();
    await store.set('l', sessionWith({ n: 1 }));
    log.length = 0;
    const listed = await store.all();
    expect(log).to.deep.equal([['all', listed]]);
    expect(listed).to.have.length(1);
  });

  it('promises: the event comes before the awaiting code resumes', async () => {
    const { store, log } = await open();
    await store.set('p', sessionWith({}));
    log.push(['resumed']);
    await store.get('p');
    log.push(['resumed']);
    expect(log.map(([name]) => name)).to.deep.equal(['create', 'set', 'resumed', 'get', 'resumed']);
  });

  it('none for a call the server refused: the caller gets the error', async () => {
    const { db, store, log } = await open({ TimeToLive: 60, UserKey: 'user' }); // TimeToLive: so that touch writes
    madeHere(store, 'x');
    await store.set('x', sessionWith({ user: 'ann' }));
    log.length = 0;
    const refused = Object.assign(new Error('refused'), { code: 13 });
    sinon.stub(Collection.prototype, 'insertOne').rejects(refused);
    sinon.stub(Collection.prototype, 'updateOne').rejects(refused);
    sinon.stub(Collection.prototype, 'findOne').rejects(refused);
    sinon.stub(Collection.prototype, 'deleteMany').rejects(refused);
    sinon.stub(Collection.prototype, 'updateMany').rejects(refused);
    for (const call of [
      () => store.set('x', sessionWith({ n: 2 })),
      () => (madeHere(store, 'new'), store.set('new', sessionWith({}))),
      () => store.touch('x', sessionWith({})),
      () => store.get('x'),
      () => store.destroy('x'),
      () => store.FlagUserSessions('ann', null),
    ]) {
      await call()!.then(
        () => expect.fail('should have failed'),
        (err: Error) => expect(err).to.be.an('error'),
      );
    }
    sinon.restore();
    expect(log).to.deep.equal([]);
    expect(await docOf(db, 'x')).to.not.equal(null);
  });

  it('none for a call that timed out, though its write landed afterwards', async () => {
    const { db, store, log } = await open({ OperationTimeoutMS: 300 });
    madeHere(store, 'late');
    await store.set('late', sessionWith({ n: 1 }));
    log.length = 0;
    holdFirstCall('updateOne', 600);
    const err = await store.set('late', sessionWith({ n: 2 }))!.then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.name).to.equal('StoreTimeoutError');
    await sleep(700);
    expect((await docOf(db, 'late'))?.Data).to.deep.include({ n: 2 });
    expect(log).to.deep.equal([]);
  });

  it('a throwing listener: the call still succeeds, and the exception surfaces on its own tick, uncaught', async () => {
    const { db, store } = await open();
    const boom = new Error('listener bug');
    store.on('set', () => {
      throw boom;
    });
    const caught: unknown[] = [];
    const mocha = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (err) => caught.push(err));
    try {
      const stored = await store.set('boom', sessionWith({ n: 1 }));
      expect(stored).to.deep.include({ n: 1 });
      await sleep(20);
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const listener of mocha) process.on('uncaughtException', listener);
    }
    expect(caught).to.deep.equal([boom]);
    expect((await docOf(db, 'boom'))?.Data).to.deep.include({ n: 1 });
  });

  it('nobody listening: the store never calls emit', async () => {
    const db = freshDb();
    const store = await openStore(db);
    const emit = sinon.spy(store, 'emit');
    madeHere(store, 'q');
    await store.set('q', sessionWith({}));
    await store.get('q');
    await store.touch('q', sessionWith({}));
    await store.destroy('q');
    expect(emit.callCount).to.equal(0);
  });

  it("docs/events.md's listeners work as written", async () => {
    const { store } = await open({ UserKey: 'passport.user' });
    const lines: string[] = [];
    const run = new Function('store', 'console', `${snippet('events-listen')}\nreturn counts;`) as (
      store: SessionStore,
      console: { log(line: string): void },
    ) => { made: number; ended: number };
    const counts = run(store, { log: (line) => lines.push(line) });
    madeHere(store, 's1');
    await store.set('s1', sessionWith({ passport: { user: 'ann' } }));
    await store.set('s2', sessionWith({ passport: { user: 'ann' } }));
    await store.set('s2', sessionWith({ passport: { user: 'ann' }, n: 2 }));
    await store.destroy('s1');
    await store.FlagUserSessions('ann', null);
    expect(counts).to.deep.equal({ made: 2, ended: 1 });
    expect(lines).to.deep.equal(['signed ann out of 1 sessions']);
  });

  it('over HTTP with express-session: create and set, then get, update and set, get and touch, get and destroy', async () => {
    const { store, log } = await open();
    const app = await startApp(store);
    try {
      const browser = new Browser(app.url);
      await browser.get('/set?k=1');
      const sid = browser.sessionId!;
      await browser.get('/set?k=2');
      await browser.get('/get');
      await browser.get('/destroy');
      await sleep(50);
      const session = log.find(([name]) => name === 'touch')?.[2];
      expect(session).to.deep.include({ values: { k: '2' } });
      expect(log).to.deep.equal([
        ['create', sid],
        ['set', sid],
        ['get', sid],
        ['update', sid],
        ['set', sid],
        ['get', sid],
        ['touch', sid, session],
        ['get', sid],
        ['destroy', sid],
      ]);
    } finally {
      await app.close();
    }
  });
});
