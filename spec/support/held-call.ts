import { Collection } from 'mongodb';
import sinon from 'sinon';
import { sleep } from './store';

/**
 * Holds the next call of a driver method for `ms` before sending it, as the driver holds an
 * operation while it waits for a server; later calls go straight through.
 */
export function holdFirstCall(
  method: 'findOne' | 'updateOne' | 'findOneAndUpdate' | 'deleteMany' | 'createIndex',
  ms: number,
): sinon.SinonStub {
  const original = Collection.prototype[method] as (...args: unknown[]) => Promise<unknown>;
  let held = false;
  return (sinon.stub(Collection.prototype, method) as sinon.SinonStub).callsFake(function (this: Collection, ...args: unknown[]) {
    if (held) return original.apply(this, args);
    held = true;
    return sleep(ms).then(() => original.apply(this, args));
  });
}
