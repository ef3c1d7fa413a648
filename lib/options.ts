import type createStore from '../types';

/** Options after validation, in the store's own terms. */
export interface Settings {
  collectionName: string;
  timeToLive: number;
  indexSessionId: boolean;
  filter: boolean;
  deleteFlags: boolean;
  operationTimeoutMs: number;
  touchInterval: number;
  maxLifetime: number;
}

/** Long enough for a slow server, short enough that a request does not hang on an outage. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;

// MongoDB refuses these in collection names.
const BAD_COLLECTION_NAME = /[$\0]|^system\./;

function optionalBoolean(options: createStore.Options, name: keyof createStore.Options): boolean | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    throw new TypeError(`Option ${name} must be a boolean, got ${typeof value}`);
  }
  return value;
}

/** Validates 1.x-style options; unknown keys are ignored, as 1.x did. */
export function readOptions(input: unknown): Settings {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError('Options must be an object');
  }
  const options = input as createStore.Options;

  const collectionName = options.CollectionName ?? 'Sessions';
  if (typeof collectionName !== 'string') {
    throw new TypeError(`Option CollectionName must be a string, got ${typeof collectionName}`);
  }
  if (collectionName === '' || BAD_COLLECTION_NAME.test(collectionName)) {
    throw new RangeError('Option CollectionName must be a non-empty name without "$" or "\\0", not starting with "system."');
  }

  const timeToLive = options.TimeToLive ?? 0;
  if (typeof timeToLive !== 'number') {
    throw new TypeError(`Option TimeToLive must be a number, got ${typeof timeToLive}`);
  }
  if (!Number.isSafeInteger(timeToLive) || timeToLive < 0) {
    throw new RangeError(`Option TimeToLive must be a whole number of seconds >= 0, got ${timeToLive}`);
  }

  const operationTimeoutMs = options.OperationTimeoutMS ?? DEFAULT_OPERATION_TIMEOUT_MS;
  if (typeof operationTimeoutMs !== 'number') {
    throw new TypeError(`Option OperationTimeoutMS must be a number, got ${typeof operationTimeoutMs}`);
  }
  if (!Number.isSafeInteger(operationTimeoutMs) || operationTimeoutMs < 0) {
    throw new RangeError(`Option OperationTimeoutMS must be a whole number of milliseconds >= 0, got ${operationTimeoutMs}`);
  }

  const touchInterval = options.TouchInterval ?? 0;
  if (typeof touchInterval !== 'number') {
    throw new TypeError(`Option TouchInterval must be a number, got ${typeof touchInterval}`);
  }
  if (!Number.isSafeInteger(touchInterval) || touchInterval < 0) {
    throw new RangeError(`Option TouchInterval must be a whole number of seconds >= 0, got ${touchInterval}`);
  }
  if (timeToLive > 0 && touchInterval >= timeToLive) {
    throw new RangeError(
      `Option TouchInterval (${touchInterval}) must be shorter than TimeToLive (${timeToLive}), or sessions expire while in use`,
    );
  }

  const maxLifetime = options.MaxLifetime ?? 0;
  if (typeof maxLifetime !== 'number') {
    throw new TypeError(`Option MaxLifetime must be a number, got ${typeof maxLifetime}`);
  }
  if (!Number.isSafeInteger(maxLifetime) || maxLifetime < 0) {
    throw new RangeError(`Option MaxLifetime must be a whole number of seconds >= 0, got ${maxLifetime}`);
  }

  const deleteFlags = optionalBoolean(options, 'DeleteFlags');
  const deleteFlag = optionalBoolean(options, 'DeleteFlag');
  if (deleteFlags !== undefined && deleteFlag !== undefined && deleteFlags !== deleteFlag) {
    throw new RangeError('Options DeleteFlags and DeleteFlag disagree; give one of them');
  }

  return {
    collectionName,
    timeToLive,
    indexSessionId: optionalBoolean(options, 'IndexSessionID') ?? false,
    filter: optionalBoolean(options, 'Filter') ?? false,
    deleteFlags: deleteFlags ?? deleteFlag ?? false,
    operationTimeoutMs,
    touchInterval,
    maxLifetime,
  };
}
