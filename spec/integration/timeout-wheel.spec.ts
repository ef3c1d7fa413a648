import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Collection } from 'mongodb';
import sinon from 'sinon';
import { StoreTimeoutError } from '../../lib/calls/timeout';
import { freshDb, serverUri } from '../support/server';
import { openStore, sessionWith, sleep } from '../support/store';

const ROOT = path.resolve(__dirname, '../..');

/**
 * One timer serves all of a store's calls (issue 21): calls that settle leave it, a call that
 * hangs still times out after its own OperationTimeoutMS, counted from its own start, and a
 * store whose calls have all settled holds the process open no longer than before.
 */
describe('the timer of a store calls (one for all of them)', () => {
  afterEach(() => sinon.restore());

  it('times out each hung call after its own OperationTimeoutMS, among calls that settle', async () => {
    const store = await openStore(freshDb(), { OperationTimeoutMS: 600 });
    for (let i = 0; i < 20; i++) await store.set(`fast-${i}`, sessionWith({ n: i }));
    // findOne of an ID starting "hung" never answers, as a frozen server.
    const original = Collection.prototype.findOne as (...args: unknown[]) => Promise<unknown>;
    sinon.stub(Collection.prototype, 'findOne').callsFake(function (this: Collection, ...args: unknown[]) {
      return JSON.stringify(args[0]).includes('hung') ? new Promise(() => {}) : original.apply(this, args);
    });
    const started = Date.now();
    const ended = (promise: Promise<unknown>): Promise<{ err: unknown; ms: number }> =>
      promise.then(
        () => ({ err: null, ms: Date.now() - started }),
        (err: unknown) => ({ err, ms: Date.now() - started }),
      );
    const first = ended(store.get('hung-1')!);
    // Calls that settle meanwhile, before and after the second hung one.
    for (let i = 0; i < 10; i++) expect(await store.get(`fast-${i}`)).to.include({ n: i });
    await sleep(Math.max(0, 300 - (Date.now() - started)));
    const second = ended(store.get('hung-2')!);
    for (let i = 10; i < 20; i++) expect(await store.get(`fast-${i}`)).to.include({ n: i });
    const [a, b] = await Promise.all([first, second]);
    expect(a.err).to.be.instanceOf(StoreTimeoutError);
    expect(b.err).to.be.instanceOf(StoreTimeoutError);
    // Each after its own 600 ms: the second, started 300 ms later, ends about 300 ms later.
    expect(a.ms).to.be.within(550, 1100);
    expect(b.ms).to.be.within(850, 1500);
    expect(b.ms - a.ms).to.be.within(200, 500);
    // The store still serves.
    sinon.restore();
    expect(await store.get('fast-0')).to.include({ n: 0 });
  });

  it('times out a call made after a quiet spell (the timer re-arms)', async () => {
    const store = await openStore(freshDb(), { OperationTimeoutMS: 300 });
    await store.set('a', sessionWith({ n: 1 }));
    // Long enough for the shared timer to have fired with nothing waiting.
    await sleep(400);
    sinon.stub(Collection.prototype, 'findOne').returns(new Promise(() => {}));
    const started = Date.now();
    const err = await store.get('a')!.catch((e: unknown) => e);
    expect(err).to.be.instanceOf(StoreTimeoutError);
    expect(Date.now() - started).to.be.within(250, 800);
  });

  it('holds the process open no longer than its calls wait', async function () {
    this.timeout(30_000);
    expect(fs.existsSync(path.join(ROOT, 'dist', 'index.js')), 'run `npm run build` first').to.equal(true);
    // A store with a long OperationTimeoutMS: had the shared timer kept the process alive
    // once the calls settled, the script would outlive its last call by 20 s.
    const script = `
      const { MongoClient } = require('mongodb');
      const createStore = require('./dist');
      (async () => {
        const client = await MongoClient.connect(process.env.URI);
        const store = createStore(client.db(process.env.DB), null, { OperationTimeoutMS: 20000 });
        await store.ready();
        await store.set('s', { cookie: { path: '/' }, n: 1 });
        await store.get('s');
        await client.close();
      })();`;
    const db = freshDb();
    const started = Date.now();
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, URI: serverUri(), DB: db.databaseName } }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    expect(Date.now() - started).to.be.below(10_000);
  });
});
