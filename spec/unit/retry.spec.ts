import { expect } from 'chai';
import { MongoNetworkError, MongoServerError } from 'mongodb';
import sinon from 'sinon';
import { isTransient, retryTransient } from '../../lib/writes/retry';

const busy = (): MongoServerError => new MongoServerError({ ok: 0, errmsg: '[collection.go:135] database is locked (5) (SQLITE_BUSY)' });

// Servers refuse these only under contention or failover, which no test can order up.
describe('retries of passing refusals', () => {
  it('tells passing refusals from lasting ones', () => {
    expect(isTransient(busy())).to.equal(true);
    expect(isTransient(new MongoServerError({ ok: 0, code: 112, errmsg: 'WriteConflict' }))).to.equal(true);
    expect(isTransient(new MongoServerError({ ok: 0, code: 11000, errmsg: 'E11000 duplicate key' }))).to.equal(false);
    expect(isTransient(new MongoNetworkError('connection closed'))).to.equal(false);
    expect(isTransient(new TypeError('bad'))).to.equal(false);
  });

  it('runs an operation again until it succeeds', async () => {
    const run = sinon.stub();
    run.onFirstCall().rejects(busy());
    run.onSecondCall().rejects(busy());
    run.onThirdCall().resolves('done');
    expect(await retryTransient(run)).to.equal('done');
    expect(run.callCount).to.equal(3);
  });

  it('gives up after a few attempts, and at once on a lasting error', async () => {
    const always = sinon.stub().rejects(busy());
    const err = await retryTransient(always).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(MongoServerError);
    expect(always.callCount).to.equal(6);
    const lasting = sinon.stub().rejects(new TypeError('bad'));
    await retryTransient(lasting).catch(() => {});
    expect(lasting.callCount).to.equal(1);
  });
});
