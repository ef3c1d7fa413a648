import type { EventEmitter } from 'node:events';
import type { MongoClient, ServerDescriptionChangedEvent, ServerHeartbeatFailedEvent, TopologyDescriptionChangedEvent } from 'mongodb';

/**
 * Emits `disconnect` on the store when the client loses every server that holds data, and
 * `connect` when one is back. express-session listens for both: while disconnected it
 * serves requests without a session instead of waiting on the store. Also remembers the
 * driver's last error reaching a server, which a `StoreTimeoutError` reports as its cause.
 */

interface Watch {
  connected: boolean;
  stores: Set<EventEmitter>;
  lastError?: Error;
  /** Reached a server since the topology last opened: a close then is the application's. */
  reached: boolean;
  closedByApplication: boolean;
}

// One listener per client, however many stores share it.
const watches = new WeakMap<MongoClient, Watch>();

function follow(client: MongoClient): Watch {
  // A client handed over may have connected before this watch: reached until it opens again.
  const watch: Watch = { connected: true, stores: new Set(), reached: true, closedByApplication: false };
  client.on('topologyOpening', () => {
    watch.reached = false;
    watch.closedByApplication = false;
  });
  // A failed first connection closes the topology too, without ever reaching a server.
  client.on('topologyClosed', () => (watch.closedByApplication = watch.reached));
  client.on('topologyDescriptionChanged', (event: TopologyDescriptionChangedEvent) => {
    const up = event.newDescription.hasDataBearingServers;
    if (up) watch.reached = true;
    if (up === watch.connected) return;
    watch.connected = up;
    for (const store of watch.stores) store.emit(up ? 'connect' : 'disconnect');
  });
  // Without these, a timeout says only that it waited; the cause (ECONNREFUSED, a DNS
  // failure, a refused login) lives in the driver's monitoring events.
  client.on('serverHeartbeatFailed', (event: ServerHeartbeatFailedEvent) => {
    if (event.failure instanceof Error) watch.lastError = event.failure;
  });
  client.on('serverHeartbeatSucceeded', () => (watch.lastError = undefined));
  client.on('serverDescriptionChanged', (event: ServerDescriptionChangedEvent) => {
    const error: unknown = event.newDescription.error;
    if (error instanceof Error) watch.lastError = error;
  });
  return watch;
}

function watchOf(client: MongoClient): Watch {
  let watch = watches.get(client);
  if (!watch) {
    watch = follow(client);
    watches.set(client, watch);
  }
  return watch;
}

/** Returns a function that stops watching for this store. */
export function watchConnection(client: MongoClient | undefined, store: EventEmitter): () => void {
  if (typeof client?.on !== 'function') return () => {};
  const stores = watchOf(client).stores;
  stores.add(store);
  return () => stores.delete(store);
}

/** What drivers 5 to 7 keep of a client's state, internal but stable across them. */
interface ClientState {
  /** Set by the application's close(), forced or not, and never cleared: even after connect(). */
  s?: { hasBeenClosed?: unknown };
  /** Dropped by close(), made by connect(). */
  topology?: unknown;
}

/**
 * Whether the application ever called close() on the client. Then only the application may
 * connect it again: the store's own connect() (after a failed first connection) would reopen
 * a client closed while the store was still preparing, and the driver does not reconnect one
 * by itself (its auto-connect refuses a closed client).
 */
export function closeWasCalled(client: MongoClient | undefined): boolean {
  return (client as ClientState | undefined)?.s?.hasBeenClosed === true;
}

/**
 * True while the application has closed the client and not connected it again: the store's
 * calls then fail saying so. The driver's record covers a close during the first connection
 * (no server reached yet) and driver 5's forced close, which emits no event; the events
 * cover drivers without that record.
 */
export function closedByApplication(client: MongoClient | undefined): boolean {
  if (!client) return false;
  if (closeWasCalled(client) && (client as ClientState).topology == null) return true;
  return watches.get(client)?.closedByApplication ?? false;
}

/** The driver's last error reaching a server of this client, if it has one now. */
export function lastServerError(client: MongoClient | undefined): Error | undefined {
  return client ? watches.get(client)?.lastError : undefined;
}

/** The servers the client connects to, as `host:port`, never with credentials. */
export function serverNames(client: MongoClient | undefined): string[] {
  const options = (client as { options?: { hosts?: unknown[]; srvHost?: string } } | undefined)?.options;
  if (options?.srvHost) return [`${options.srvHost} (SRV)`];
  if (options?.hosts) return options.hosts.map(String);
  // Driver 3.x: the client's options once parsed, or a topology's seed list (see handle.ts).
  type Seeds = Array<{ host: string; port: number }>;
  const internals = (client as { s?: { options?: { servers?: Seeds }; seedlist?: Seeds } } | undefined)?.s;
  return (internals?.options?.servers ?? internals?.seedlist ?? []).map(({ host, port }) => `${host}:${port}`);
}
