import { expect } from 'chai';
import sinon from 'sinon';
import { checkCallback, settle } from '../../lib/callback';

describe('callback bridge', () => {
  it('returns the promise when no callback is given', async () => {
    const promise = Promise.resolve(5);
    expect(settle(promise, undefined)).to.equal(promise);
  });

  it('calls back once with the value, or once with the error', async () => {
    const ok = sinon.spy();
    const bad = sinon.spy();
    settle(Promise.resolve(7), ok);
    settle(Promise.reject(new Error('boom')), bad);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ok.calledOnceWithExactly(null, 7)).to.equal(true);
    expect(bad.calledOnce).to.equal(true);
    expect(bad.firstCall.args[0]).to.be.instanceOf(Error).with.property('message', 'boom');
  });

  it('turns a non-Error rejection into an Error', async () => {
    const spy = sinon.spy();
    settle(Promise.reject('text'), spy);
    await new Promise((resolve) => setImmediate(resolve));
    expect(spy.firstCall.args[0]).to.be.instanceOf(Error).with.property('message', 'text');
  });

  it('lets an exception thrown by the callback surface as uncaught, and calls it once', async () => {
    const thrown = new Error('from the callback');
    const callback = sinon.stub().throws(thrown);
    // mocha listens for uncaught exceptions itself; take them over for this test.
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const caught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    try {
      settle(Promise.resolve(1), callback);
      expect(await caught).to.equal(thrown);
    } finally {
      for (const listener of listeners) process.on('uncaughtException', listener);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(callback.calledOnce).to.equal(true);
  });

  it('refuses a callback that is not a function', () => {
    expect(() => checkCallback('nope', 'get')).to.throw(TypeError, /get: callback must be a function/);
    expect(() => checkCallback(undefined, 'get')).not.to.throw();
  });
});
