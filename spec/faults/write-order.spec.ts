import { expect } from 'chai';
import { Collection } from 'mongodb';
import sinon from 'sinon';
import { freshDb } from '../support/server';
import { openStore, sessionWith, sleep } from '../support/store';

describe('a write that outlived its timeout', () => {
  afterEach(() => sinon.restore());

  // The driver holds a write while it waits for a server; sinon stands in for that wait.
  function holdNextUpdate(ms: number): void {
    const updateOne = Collection.prototype.updateOne;
    let held = false;
    sinon.stub(Collection.prototype, 'updateOne').callsFake(function (this: Collection, ...args: Parameters<Collection['updateOne']>) {
      if (held) return updateOne.apply(this, args);
      held = true;
      return sleep(ms).then(() => updateOne.apply(this, args));
    });
  }

  it('never lands after a newer write of the same session that succeeded', async () => {
    const store = await openStore(freshDb(), { OperationTimeoutMS: 300 });
    await store.set('s', sessionWith({ n: 1 }));
    holdNextUpdate(400);

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
    holdNextUpdate(1_000);
    const slow = store.set('slow', sessionWith({ n: 2 })).catch((err: Error) => err);
    const started = Date.now();
    await store.set('other', sessionWith({ n: 2 }));
    expect(Date.now() - started).to.be.below(250);
    expect(await slow).to.be.instanceOf(Error);
  });
});
