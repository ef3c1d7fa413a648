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
 */
export function settle<T>(promise: Promise<T>, callback: Callback<T> | undefined | null): Promise<T> | undefined {
  if (callback === undefined || callback === null) return promise;
  promise.then(
    (value) => process.nextTick(callback, null, value),
    (reason: unknown) => process.nextTick(callback, toError(reason)),
  );
  return undefined;
}

/**
 * Wraps `run` as a callback-last method: with a callback at position `arity` it calls
 * back, otherwise it returns the promise.
 */
export function callbackOrPromise<A extends unknown[], T>(name: string, run: (...args: A) => Promise<T>, arity: number) {
  return (...args: unknown[]): Promise<T> | undefined => {
    const callback = args.length > arity ? args[arity] : undefined;
    checkCallback(callback, name);
    return settle(run(...(args.slice(0, arity) as A)), callback as Callback<T> | undefined);
  };
}
