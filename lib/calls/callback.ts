import createDebug from 'debug';

const debug = createDebug('express-session-mongodb');

export type Callback<T> = (err: Error | null, result?: T) => void;

/** Throws at once: a callback that is not a function has nowhere to report to. */
export function checkCallback(callback: unknown, name: string): void {
  if (callback !== undefined && callback !== null && typeof callback !== 'function') {
    throw new TypeError(`${name}: callback must be a function, got ${typeof callback}`);
  }
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * Hands a result to an error-first callback, or returns the promise when there is none.
 * The callback runs on its own tick, outside the promise chain, so an exception it
 * throws surfaces as an uncaught exception instead of a rejection, and it runs once.
 * Without a callback, a failure nobody handles is dropped (logged under DEBUG), as 1.x
 * dropped it; whoever awaits the returned promise still gets the rejection.
 */
export function settle<T>(
  promise: Promise<T>,
  callback: Callback<T> | undefined | null,
  name = 'call',
  dropped: (reason: unknown) => void = droppedBy(name),
): Promise<T> | undefined {
  if (callback === undefined || callback === null) {
    promise.catch(dropped);
    return promise;
  }
  promise.then(
    (value) => process.nextTick(callback, null, value),
    (reason: unknown) => process.nextTick(callback, toError(reason)),
  );
  return undefined;
}

/** What a failure nobody handles ends as: a debug line. */
function droppedBy(name: string): (reason: unknown) => void {
  return (reason) => debug('%s failed without a callback: %s', name, toError(reason).message);
}

/** `destroy(cb)`, `set(sid, cb)`: the position of a callback given where data belongs, or -1. */
function misplacedCallback(args: unknown[], arity: number): number {
  // A loop, not slice and findIndex: every promise-style call asks.
  for (let i = 0; i < arity && i < args.length; i++) if (typeof args[i] === 'function') return i;
  return -1;
}

/**
 * Wraps `run` as a callback-last method: with a callback at position `arity` it calls
 * back, otherwise it returns the promise. A callback given in place of an argument is
 * called back with a TypeError naming the missing one.
 */
export function callbackOrPromise<A extends unknown[], T>(name: string, run: (...args: A) => Promise<T>, arity: number) {
  // Made once per method, not per call.
  const dropped = droppedBy(name);
  return (...args: unknown[]): Promise<T> | undefined => {
    let callback = args.length > arity ? args[arity] : undefined;
    checkCallback(callback, name);
    const misplaced = callback === undefined || callback === null ? misplacedCallback(args, arity) : -1;
    if (misplaced >= 0) {
      callback = args[misplaced];
      const missing = new TypeError(
        `${name}: argument ${misplaced + 1} of ${arity} is missing; a callback was given in its place (callback goes last)`,
      );
      return settle(Promise.reject(missing), callback as Callback<T>, name);
    }
    if (args.length > arity) args.length = arity;
    return settle(run(...(args as A)), callback as Callback<T> | undefined, name, dropped);
  };
}
