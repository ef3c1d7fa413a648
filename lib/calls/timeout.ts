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

/**
 * Settles with `promise`, or rejects once `ms` have passed (0: never). The operation itself
 * goes on, told through `onTimeout`; its late failure is absorbed, so nothing is left
 * unhandled. `client`, when given, names the servers and the driver's last error in the timeout.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  client?: MongoClient,
  onTimeout?: (err: Error) => void,
): Promise<T> {
  if (ms === 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = new StoreTimeoutError(what, ms, serverNames(client), lastServerError(client));
      onTimeout?.(err);
      reject(err);
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
