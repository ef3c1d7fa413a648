import type { EventEmitter } from 'node:events';
import { Store } from 'express-session';

/**
 * What every store is made from: an express-session `Store`, whose prototype is also
 * `createStore.prototype` (lib/index.ts), so `store instanceof createStore` holds as in 1.x.
 * Typed as an EventEmitter: the typings call Store abstract, the methods are added per store.
 */
export class StoreBase extends (Store as unknown as new () => EventEmitter) {}
