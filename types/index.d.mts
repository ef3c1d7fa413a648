// ESM view of the same declarations: the function as default export and as a named one, and the error class.
import createStore from './index.js';

export default createStore;
export { createStore };
export declare const StoreTimeoutError: createStore.StoreTimeoutErrorConstructor;
export type StoreTimeoutError = createStore.StoreTimeoutError;
export type AdoptConnectMongo = createStore.AdoptConnectMongo;
export type AdoptConnectMongodbSession = createStore.AdoptConnectMongodbSession;
export type AdoptCrypto = createStore.AdoptCrypto;
export type AdoptCryptoAdapter = createStore.AdoptCryptoAdapter;
