import type createStoreTypes from '../types';
import { createStore } from './create-store';
import { StoreTimeoutError } from './timeout';

// 1.x exported the function itself; `.default` and `.createStore` serve ESM and TypeScript
// imports, `.StoreTimeoutError` lets callers test `err instanceof StoreTimeoutError`.
const exported = Object.assign(createStore, {
  default: createStore,
  createStore,
  StoreTimeoutError,
}) as unknown as createStoreTypes.CreateStore;

export = exported;
