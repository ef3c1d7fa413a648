import { expect } from 'chai';
import sinon from 'sinon';
import { callbackOrPromise, checkCallback, settle } from '../../lib/calls/callback';
import { debugLines } from '../support/debug-lines';

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

  it('without a callback, a failure nobody handles is dropped with a debug line, not left unhandled', async () => {
    const unhandled = sinon.spy();
    process.on('unhandledRejection', unhandled);
    try {
      const lines = await debugLines(async () => {
        settle(Promise.reject(new Error('server gone')), undefined, 'destroy');
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
      expect(lines.some((line) => /destroy failed without a callback: server gone/.test(line))).to.equal(true);
    } finally {
      process.off('unhandledRejection', unhandled);
    }
    expect(unhandled.called).to.equal(false);
  });

  it('without a callback, whoever awaits the promise still gets the rejection', async () => {
    const err = await settle(Promise.reject(new Error('boom')), undefined)!.catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error).with.property('message', 'boom');
  });

  const misplaced: Array<[string, number, (method: (...args: unknown[]) => unknown, cb: sinon.SinonSpy) => unknown, RegExp]> = [
    ['destroy(cb)', 1, (method, cb) => method(cb), /destroy: argument 1 of 1 is missing/],
    ['get(cb)', 1, (method, cb) => method(cb), /get: argument 1 of 1 is missing/],
    ['set(sid, cb)', 2, (method, cb) => method('sid', cb), /set: argument 2 of 2 is missing/],
    ['touch(sid, cb)', 2, (method, cb) => method('sid', cb), /touch: argument 2 of 2 is missing/],
  ];
  for (const [call, arity, invoke, message] of misplaced) {
    it(`${call}: reports the missing argument through that callback, once, without running the method`, async () => {
      const name = call.slice(0, call.indexOf('('));
      const run = sinon.stub().resolves('ran');
      const callback = sinon.spy();
      expect(invoke(callbackOrPromise(name, run, arity), callback)).to.equal(undefined);
      await new Promise((resolve) => setImmediate(resolve));
      expect(run.called).to.equal(false);
      expect(callback.calledOnce).to.equal(true);
      expect(callback.firstCall.args[0]).to.be.instanceOf(TypeError).with.property('message').that.matches(message);
    });
  }

  it('still calls a callback given last, with the arguments before it', async () => {
    const run = sinon.stub().resolves('ran');
    const callback = sinon.spy();
    callbackOrPromise('set', run, 2)('sid', { n: 1 }, callback);
    await new Promise((resolve) => setImmediate(resolve));
    expect(run.calledOnceWithExactly('sid', { n: 1 })).to.equal(true);
    expect(callback.calledOnceWithExactly(null, 'ran')).to.equal(true);
  });
});
