import type createStoreTypes from '../types';
import { createStore } from './create-store';

// 1.x exported the function itself; `.default` and `.createStore` serve ESM and TypeScript imports.
const exported = Object.assign(createStore, { default: createStore, createStore }) as unknown as createStoreTypes.CreateStore;

export = exported;
