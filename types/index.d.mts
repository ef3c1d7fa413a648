// ESM view of the same declarations: the function as default export and as a named one.
import createStore from './index.js';

export default createStore;
export { createStore };
