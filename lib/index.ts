import type createStoreTypes from '../types';
import { createStore } from './create-store';
import { StoreBase } from './calls/store-prototype';

// 1.x's stores were `instanceof` the exported function: they inherit from its prototype.
createStore.prototype = StoreBase.prototype;
import { StoreTimeoutError } from './calls/timeout';

// 1.x exported the function itself; `.default` and `.createStore` serve ESM and TypeScript
// imports, `.StoreTimeoutError` lets callers test `err instanceof StoreTimeoutError`.
const exported = Object.assign(createStore, {
  default: createStore,
  createStore,
  StoreTimeoutError,
}) as unknown as createStoreTypes.CreateStore;

export = exported;
