import type { MongoClient } from 'mongodb';
import { lastServerError, serverNames } from './connection-events';

/**
 * Raised when a store call outlives `OperationTimeoutMS`. Says what it waited for and on
 * which servers; `cause` is the driver's last error reaching them, when it has one.
 */
export class StoreTimeoutError extends Error {
  override name = 'StoreTimeoutError';
  /** What did not finish, e.g. `createStore` or `Session store get`. */
  readonly operation: string;
  /** The limit that ran out, in milliseconds. */
  readonly timeoutMS: number;
  /** The servers waited on, as `host:port` (never credentials); empty when unknown. */
  readonly servers: string[];

  constructor(operation: string, timeoutMS: number, servers: string[] = [], cause?: Error) {
    const on = servers.length > 0 ? ` waiting on ${servers.join(', ')}` : '';
    const last = cause ? ` (last error: ${cause.message})` : '';
    super(`${operation} did not finish within ${timeoutMS} ms${on}${last}`, cause ? { cause } : undefined);
    this.operation = operation;
    this.timeoutMS = timeoutMS;
    this.servers = servers;
  }
}

/** One call waiting on the wheel: its end, and what to do if it comes first (null once settled). */
interface Waiting {
  end: number;
  expire: (() => void) | null;
  next: Waiting | null;
}

/**
 * The timers of the calls of one store, all with the same limit: one Node timer, armed for
 * the oldest call still waiting, instead of a timer made and cleared per call (which cost a
 * store's every call more than its own work did). The limit is the same for all, so the calls
 * end in the order they came: a queue, a linked list. A settled call is only marked, and
 * leaves once the calls before it have; the timer, when it fires, ends the calls due and
 * re-arms for the next. It holds the process open only while a call waits, as each call's
 * own timer did.
 */
export class TimeoutWheel {
  private first: Waiting | null = null;
  private last: Waiting | null = null;
  private waiting = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly ms: number) {}

  /** `expire` runs once `ms` have passed, unless `settled` is called on the result first. */
  start(expire: () => void): Waiting {
    // Monotonic: a wall clock set back must not hold a timeout back by as much.
    const entry: Waiting = { end: performance.now() + this.ms, expire, next: null };
    if (this.last) this.last.next = entry;
    else this.first = entry;
    this.last = entry;
    if (this.waiting++ === 0) this.timer?.ref();
    this.timer ??= setTimeout(() => this.fire(), this.ms);
    return entry;
  }

  settled(entry: Waiting): void {
    if (entry.expire === null) return;
    entry.expire = null;
    if (--this.waiting === 0) this.timer?.unref();
    // Calls mostly settle in the order they came: the queue stays as short as the calls waiting.
    this.dropSettled();
  }

  private dropSettled(): void {
    while (this.first !== null && this.first.expire === null) this.first = this.first.next;
    if (this.first === null) this.last = null;
  }

  private fire(): void {
    this.timer = null;
    const now = performance.now();
    for (let entry = this.first; entry !== null && entry.end <= now; entry = this.first) {
      const expire = entry.expire!;
      this.settled(entry);
      expire();
    }
    if (this.first === null) return;
    // An expiry that started a call has armed a timer already: this one replaces it.
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), Math.max(1, this.first.end - now));
    if (this.waiting === 0) this.timer.unref();
  }
}

/**
 * Settles with `promise` (its failure through `failed`), or rejects once the wheel's `ms` have
 * passed. The operation itself goes on, told through `limit.abandon`; its late failure is
 * absorbed, so nothing is left unhandled. `client`, when given, names the servers and the
 * driver's last error in the timeout.
 */
export function onWheel<T>(
  wheel: TimeoutWheel,
  promise: Promise<T>,
  what: string,
  client?: MongoClient,
  limit?: { abandon(err: Error): void },
  failed: (err: unknown) => unknown = (err) => err,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const entry = wheel.start(() => {
      const err = new StoreTimeoutError(what, wheel.ms, serverNames(client), lastServerError(client));
      limit?.abandon(err);
      reject(err);
    });
    promise.then(
      (value) => {
        wheel.settled(entry);
        resolve(value);
      },
      (err: unknown) => {
        wheel.settled(entry);
        reject(failed(err));
      },
    );
  });
}

/** `onWheel` for a single promise with a limit of its own (0: never). */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  client?: MongoClient,
  onTimeout?: (err: Error) => void,
): Promise<T> {
  if (ms === 0) return promise;
  return onWheel(new TimeoutWheel(ms), promise, what, client, onTimeout && { abandon: onTimeout });
}
