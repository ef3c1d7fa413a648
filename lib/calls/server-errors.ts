import { isDriver3Reply } from '../driver/versions';

/**
 * Server and BSON errors can quote what was sent: FerretDB's "invalid value: { ... } (nested
 * arrays are not supported)" and "invalid key: ...", MongoDB's E11000 "dup key: { _id: ... }"
 * with `keyValue`, BSON's "key ... must not contain '.'". The store replaces every such error
 * with its own, which keeps the code and error labels (no data) and drops the message, the
 * server's response and the cause, each of which can hold session contents. Network errors,
 * timeouts and the store's own errors name hosts, options and limits only, and pass through.
 */

// The driver's errors that carry a server's response or an encoder's message.
const QUOTING_ERRORS = new Set(['MongoServerError', 'MongoBulkWriteError', 'MongoWriteConcernError', 'BSONError']);
const MAX_CAUSES = 8;

/** A server's refusal, told without what the server quoted. */
export class SessionStoreServerError extends Error {
  readonly code: number | undefined;
  readonly codeName: string | undefined;
  readonly errorLabels: string[];

  constructor(operation: string, source: { code?: unknown; codeName?: unknown; errorLabels?: unknown; name?: unknown }) {
    const code = typeof source.code === 'number' ? source.code : undefined;
    const codeName = typeof source.codeName === 'string' && /^\w+$/.test(source.codeName) ? source.codeName : undefined;
    const what = source.name === 'BSONError' ? 'the session could not be encoded as BSON' : 'the server refused the operation';
    const detail = code === undefined ? '' : ` (code ${code}${codeName ? ` ${codeName}` : ''})`;
    super(`Session store ${operation}: ${what}${detail}; the server's message is withheld since it can quote session data`);
    this.name = 'SessionStoreServerError';
    this.code = code;
    this.codeName = codeName;
    this.errorLabels = labelsOf(source);
  }
}

function labelsOf(source: { errorLabels?: unknown }): string[] {
  const labels = source.errorLabels;
  if (labels instanceof Set || Array.isArray(labels)) return [...(labels as Iterable<unknown>)].filter((l) => typeof l === 'string');
  return [];
}

function quotes(err: unknown): err is Error {
  // Own properties only: every driver error inherits an `errmsg` getter, network errors too.
  if (!(err instanceof Error)) return false;
  return QUOTING_ERRORS.has(err.name) || Object.hasOwn(err, 'errorResponse') || Object.hasOwn(err, 'errmsg') || isDriver3Reply(err);
}

/**
 * `err` as the caller may see it: a server or BSON error is replaced, and so is one met
 * along the `cause` chain of the store's own errors (such as the 16 MB RangeError).
 */
export function sanitizeError(err: unknown, operation = 'call'): unknown {
  if (quotes(err)) return new SessionStoreServerError(operation, err as Error & Record<string, unknown>);
  let holder = err;
  for (let i = 0; i < MAX_CAUSES && holder instanceof Error && holder.cause !== undefined; i++) {
    if (quotes(holder.cause)) {
      Object.defineProperty(holder, 'cause', {
        value: new SessionStoreServerError(operation, holder.cause as Error & Record<string, unknown>),
        configurable: true,
        writable: true,
      });
      break;
    }
    holder = holder.cause;
  }
  return err;
}
