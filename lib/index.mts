// ESM entry: the CommonJS function as default export and as a named one, and the error class.
import createStore from './index.js';

const { StoreTimeoutError } = createStore;

export default createStore;
export { createStore, StoreTimeoutError };
