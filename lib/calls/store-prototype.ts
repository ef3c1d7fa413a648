import type { EventEmitter } from 'node:events';
import { Store } from 'express-session';

/**
 * What every store is made from: an express-session `Store`, whose prototype is also
 * `createStore.prototype` (lib/index.ts), so `store instanceof createStore` holds as in 1.x.
 * Typed as an EventEmitter: the typings call Store abstract, the methods are added per store.
 */
export class StoreBase extends (Store as unknown as new () => EventEmitter) {}

/**
 * The store to build: `self` where 1.x's constructor would have built on it (`new createStore`,
 * or a 1.x-style subclass calling `createStore.call(this, ...)`), else a new one.
 */
export function storeFor(self: unknown): StoreBase {
  if (!(self instanceof StoreBase)) return new StoreBase();
  // express-session's Store is a plain constructor function: it can set up `self` as `new` would.
  (Store as unknown as (this: unknown) => void).call(self);
  return self;
}
