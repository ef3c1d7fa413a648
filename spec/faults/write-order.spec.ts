import { expect } from 'chai';
import sinon from 'sinon';
import { holdFirstCall } from '../support/held-call';
import { freshDb } from '../support/server';
import { openStore, sessionWith, sleep } from '../support/store';

describe('a write that outlived its timeout', () => {
  afterEach(() => sinon.restore());

  it('never lands after a newer write of the same session that succeeded', async () => {
    const store = await openStore(freshDb(), { OperationTimeoutMS: 300 });
    await store.set('s', sessionWith({ n: 1 }));
    holdFirstCall('updateOne', 400); // as the driver would, waiting for a server

    const late = await store.set('s', sessionWith({ n: 2 })).then(
      () => 'acknowledged',
      (err: Error) => err.name,
    );
    expect(late).to.equal('StoreTimeoutError');
    // Sent after the timeout, while n: 2 is still held: acknowledged, so it must stay.
    await store.set('s', sessionWith({ n: 3 }));
    await sleep(300);
    expect(await store.get('s')).to.deep.include({ n: 3 });
  });

  it('does not hold back writes of other sessions', async () => {
    const store = await openStore(freshDb(), { OperationTimeoutMS: 300 });
    await store.set('slow', sessionWith({ n: 1 }));
    await store.set('other', sessionWith({ n: 1 }));
    holdFirstCall('updateOne', 1_000);
    const slow = store.set('slow', sessionWith({ n: 2 })).catch((err: Error) => err);
    const started = Date.now();
    await store.set('other', sessionWith({ n: 2 }));
    expect(Date.now() - started).to.be.below(250);
    expect(await slow).to.be.instanceOf(Error);
  });
});
