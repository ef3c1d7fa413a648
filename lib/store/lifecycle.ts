import { closedByApplication, closeWasCalled } from '../calls/connection-events';
import type { Handle } from '../calls/handle';
import type { Context } from './context';
import { prepare } from './setup';
import type { Settings } from '../calls/options';

/**
 * A store's life: preparing the collection (again, after an outage at start), handing the
 * prepared context to every call, and closing.
 */
export interface Lifecycle {
  /** The prepared context; rejects while setup fails or once closed. */
  context(): Promise<Context>;
  /**
   * The prepared context at once, where `context()` would resolve to it: a call then spends no
   * tick waiting. Undefined otherwise (not prepared yet, closed): ask `context()`, which says why.
   */
  current(): Context | undefined;
  /** Settles once the first preparation has. */
  readonly started: Promise<Context>;
  /** Marks the store closed and stops its expiry, now or once a setup still under way ends. */
  close(): void;
}

/** `invalid`: what was wrong with the arguments, reported by every call instead of preparing. */
export function lifecycle(handle: Handle | undefined, settings: Settings | undefined, invalid: unknown): Lifecycle {
  let closed = false;

  function start(reconnect = false): Promise<Context> {
    let attempt: Promise<Context>;
    if (invalid !== undefined) attempt = Promise.reject(invalid);
    // A client whose first connection failed stays closed until connected again; connect()
    // does nothing to one that is open. Driver 3.x reconnects by itself.
    else if (reconnect && handle!.reopens) attempt = handle!.client!.connect().then(() => prepare(handle!.db, settings!));
    else attempt = prepare(handle!.db, settings!);
    // Failures reach the callback and every later call; none is left unhandled.
    attempt.catch(() => {});
    return attempt;
  }
  let preparing = start();
  const started = preparing;
  let ready: Context | undefined;

  function checkNotClosedByApplication(): void {
    if (closedByApplication(handle?.client)) {
      throw new Error('The MongoClient was closed by the application; the session store does not reopen it');
    }
  }

  async function context(): Promise<Context> {
    checkNotClosedByApplication();
    const attempt = preparing;
    let ctx: Context;
    try {
      ctx = await attempt;
    } catch (err) {
      if (invalid !== undefined || closed) throw err;
      // Closed by the application while the store was preparing: say so, as any later call does.
      checkNotClosedByApplication();
      // The server was out of reach when the store was made: try again, once for all callers.
      // Not a client the application closed itself, though: only the application reopens that one.
      const reconnect = (err as Error).name !== 'MongoNotConnectedError' && !closeWasCalled(handle?.client);
      if (preparing === attempt) preparing = start(reconnect);
      ctx = await preparing;
    }
    if (closed) throw new Error('The session store is closed');
    ready = ctx;
    return ctx;
  }

  const current = (): Context | undefined => (closed || closedByApplication(handle?.client) ? undefined : ready);

  // Never waits: a setup held up by a frozen server must not hold up close().
  function close(): void {
    if (closed) return;
    closed = true;
    preparing.then(
      (ctx) => ctx.expiry.stop(),
      () => {},
    );
  }

  return { context, current, started, close };
}
