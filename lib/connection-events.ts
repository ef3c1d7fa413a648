import type { EventEmitter } from 'node:events';
import type { MongoClient, TopologyDescriptionChangedEvent } from 'mongodb';

/**
 * Emits `disconnect` on the store when the client loses every server that holds data, and
 * `connect` when one is back. express-session listens for both: while disconnected it
 * serves requests without a session instead of waiting on the store.
 */

interface Watch {
  connected: boolean;
  stores: Set<EventEmitter>;
}

// One listener per client, however many stores share it.
const watches = new WeakMap<MongoClient, Watch>();

function follow(client: MongoClient): Watch {
  const watch: Watch = { connected: true, stores: new Set() };
  client.on('topologyDescriptionChanged', (event: TopologyDescriptionChangedEvent) => {
    const up = event.newDescription.hasDataBearingServers;
    if (up === watch.connected) return;
    watch.connected = up;
    for (const store of watch.stores) store.emit(up ? 'connect' : 'disconnect');
  });
  return watch;
}

/** Returns a function that stops watching for this store. */
export function watchConnection(client: MongoClient | undefined, store: EventEmitter): () => void {
  if (typeof client?.on !== 'function') return () => {};
  let watch = watches.get(client);
  if (!watch) {
    watch = follow(client);
    watches.set(client, watch);
  }
  watch.stores.add(store);
  const stores = watch.stores;
  return () => stores.delete(store);
}
