import type { MongoClient } from 'mongodb';
import { callbackOrPromise } from './callback';
import { deadline, type Deadline } from './deadline';
import { sanitizeError } from './server-errors';
import { onWheel, TimeoutWheel } from './timeout';

/** How a store's public methods take their calls: a callback or a promise, within OperationTimeoutMS. */
export interface PublicMethods {
  /**
   * `promise` bounded by OperationTimeoutMS, which also ends what the call still had to write
   * (`limit`); server messages, which can quote session data, give way to the store's own.
   */
  bounded<T>(promise: Promise<T>, name: string, what?: string, limit?: Deadline): Promise<T>;
  /** A public method; `run` gets the caller's arguments, padded to `arity`, then the call's deadline. */
  method<A extends unknown[], T>(
    name: string,
    run: (...args: [...A, Deadline]) => Promise<T>,
    arity: number,
  ): (...args: unknown[]) => Promise<T> | undefined;
}

/** `client`: whose servers a timeout names. */
export function publicMethods(timeoutMs: number, client: MongoClient | undefined): PublicMethods {
  // One timer for all of the store's calls (see TimeoutWheel).
  const wheel = timeoutMs === 0 ? null : new TimeoutWheel(timeoutMs);
  /** `promise` within the limit, its failure through `sanitized`. */
  function guarded<T>(promise: Promise<T>, what: string, sanitized: (err: unknown) => unknown, limit?: Deadline): Promise<T> {
    if (wheel === null) return promise.catch((err: unknown) => Promise.reject(sanitized(err)));
    return onWheel(wheel, promise, what, client, limit, sanitized);
  }

  function bounded<T>(promise: Promise<T>, name: string, what = `Session store ${name}`, limit?: Deadline): Promise<T> {
    return guarded(promise, what, (err) => sanitizeError(err, name), limit);
  }

  function method<A extends unknown[], T>(name: string, run: (...args: [...A, Deadline]) => Promise<T>, arity: number) {
    // Made once per method, not per call.
    const what = `Session store ${name}`;
    const sanitized = (err: unknown): unknown => sanitizeError(err, name);
    return callbackOrPromise(
      name,
      (...args: A) => {
        const limit = deadline(timeoutMs);
        // touch(sid) still hands touch its deadline third.
        while (args.length < arity) args.push(undefined);
        return guarded(run(...args, limit), what, sanitized, limit);
      },
      arity,
    );
  }

  return { bounded, method };
}
