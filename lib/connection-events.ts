import type { EventEmitter } from 'node:events';
import type { MongoClient, TopologyDescriptionChangedEvent } from 'mongodb';

/**
 * Emits `disconnect` on the store when the client loses every server that holds data, and
 * `connect` when one is back. express-session listens for both: while disconnected it
 * serves requests without a session instead of waiting on the store.
 * Returns a function that stops watching.
 */
export function watchConnection(client: MongoClient | undefined, store: EventEmitter): () => void {
  if (typeof client?.on !== 'function') return () => {};
  let connected = true;
  const onChange = (event: TopologyDescriptionChangedEvent): void => {
    const up = event.newDescription.hasDataBearingServers;
    if (up === connected) return;
    connected = up;
    store.emit(up ? 'connect' : 'disconnect');
  };
  client.on('topologyDescriptionChanged', onChange);
  return () => client.off('topologyDescriptionChanged', onChange);
}
