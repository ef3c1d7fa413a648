import createDebug from 'debug';
import type createStore from '../../types';
import { readUserKey, type UserReader } from '../stored/user-key';
import { readEncryptionKeys, type Keyring } from '../stored/encryption';
import { readAdopt, type Adopted } from '../stored/adopted';

const debug = createDebug('express-session-mongodb');

/** Options after validation, in the store's own terms. */
/**
 * What tests may force (spec/support/lookup.ts): the choice between the two lookups that depend
 * on the server (see writes/layout).
 */
export type ForcedLookup = 'either' | 'two-step';

export interface Settings {
  collectionName: string;
  timeToLive: number;
  indexSessionId: boolean;
  filter: boolean;
  deleteFlags: boolean;
  operationTimeoutMs: number;
  touchInterval: number;
  maxLifetime: number;
  /** Reads a session's user (`UserKey`); null without the option. */
  userKey: UserReader | null;
  /** Present only with `EncryptionKeys`: seals and opens `Data`. */
  encryption?: Keyring;
  /** Undefined: on, except on FerretDB v1 (see write-fence). */
  fenceLateWrites: boolean | undefined;
  /** False: no 1.x process writes to the collection (see layout). */
  sharedWith1x: boolean;
  /** `Adopt`: the connect-mongo or connect-mongodb-session collection taken over; null without it. */
  adopt: Adopted | null;
  /** Not an option: tests force the lookup mode the server would not choose (spec/support/lookup.ts). */
  lookup?: ForcedLookup;
}

/** Long enough for a slow server, short enough that a request does not hang on an outage. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;

/** setTimeout holds at most this many milliseconds; a longer delay fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The largest `expireAfterSeconds` servers accept on a TTL index. */
const MAX_TTL_SECONDS = 2 ** 31 - 1;

// MongoDB refuses these in collection names.
const BAD_COLLECTION_NAME = /[$\0]|^system\./;

type Loose = Record<string, unknown>;

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** 1.x read its switches by truthiness; 2.x does too, saying so when the value was not a boolean. */
function looseBoolean(options: Loose, name: string): boolean | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  debug('option %s: %s read as %s, by truthiness as 1.x did', name, shown(value), Boolean(value));
  return Boolean(value);
}

/** 1.x: any falsy name meant 'Sessions'; a truthy one went to the server as given. */
function readCollectionName(options: Loose): string {
  const value = options.CollectionName;
  if (value === undefined) return 'Sessions';
  if (!value) {
    debug('option CollectionName: %s read as "Sessions", as 1.x did', shown(value));
    return 'Sessions';
  }
  if (typeof value !== 'string') {
    throw new TypeError(`Option CollectionName must be a string, got ${typeof value}`);
  }
  if (BAD_COLLECTION_NAME.test(value)) {
    throw new RangeError('Option CollectionName must be a name without "$" or "\\0", not starting with "system."');
  }
  return value;
}

/**
 * 1.x kept a truthy TimeToLive and made the TTL index when it compared `> 0` in
 * JavaScript, so '100' meant 100 s and -1, '' or 'abc' meant no expiry. Values that
 * passed `> 0` without being a number or a string (true, a Date) went to the server as
 * `expireAfterSeconds`; 2.x refuses them rather than guess a duration.
 */
function readTimeToLive(options: Loose): number {
  const value = options.TimeToLive;
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_TTL_SECONDS) return value;
  const comparable = typeof value === 'number' || typeof value === 'string';
  if (!((value as number) > 0)) {
    debug('option TimeToLive: %s read as 0 (no expiry), as 1.x did', shown(value));
    return 0;
  }
  if (!comparable) throw new TypeError(`Option TimeToLive must be a number of seconds, got ${typeof value}`);
  const seconds = Math.ceil(Number(value));
  if (!Number.isSafeInteger(seconds) || seconds > MAX_TTL_SECONDS) {
    throw new RangeError(`Option TimeToLive must be a whole number of seconds from 0 to ${MAX_TTL_SECONDS}, got ${shown(value)}`);
  }
  debug('option TimeToLive: %s read as %d s', shown(value), seconds);
  return seconds;
}

/** A switch 2.x added: strict, as every option 2.x added. */
function strictBoolean(options: Loose, name: string): boolean | undefined {
  const value = options[name];
  if (value === undefined || typeof value === 'boolean') return value;
  throw new TypeError(`Option ${name} must be true or false, got ${typeof value}`);
}

/** Options 2.x added are strict: nobody relied on a loose reading of them. */
function strictWhole(options: Loose, name: string, fallback: number, unit: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number') {
    throw new TypeError(`Option ${name} must be a number, got ${typeof value}`);
  }
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    const bound = max === Number.MAX_SAFE_INTEGER ? '>= 0' : `from 0 to ${max}`;
    throw new RangeError(`Option ${name} must be a whole number of ${unit} ${bound}, got ${value}`);
  }
  return value;
}

/**
 * 1.x's code read only `DeleteFlag`; its README said `DeleteFlags`. Both work; when both
 * are given and disagree, `DeleteFlag` wins, as it did in 1.x.
 */
function readDeleteFlags(options: Loose): boolean {
  const flag = looseBoolean(options, 'DeleteFlag');
  const flags = looseBoolean(options, 'DeleteFlags');
  if (flag !== undefined && flags !== undefined && flag !== flags) {
    debug('options DeleteFlag (%s) and DeleteFlags (%s) disagree: DeleteFlag wins, as in 1.x', flag, flags);
  }
  return flag ?? flags ?? false;
}

/** What Adopt cannot go with: their documents have no SessionID, and their `session` is plaintext unless connect-mongo sealed it. */
function checkAdoptWith(adopt: Adopted, indexSessionId: boolean, encryption: Keyring | undefined): void {
  if (indexSessionId) {
    throw new TypeError(
      `Options Adopt and IndexSessionID cannot go together: ${adopt.from}'s documents have no SessionID for a unique index`,
    );
  }
  if (encryption && adopt.writeTheirs && !adopt.codec.sealed) {
    throw new TypeError(
      `Options Adopt and EncryptionKeys: ${adopt.from}'s session field would be written in plaintext beside the sealed Data; add writeTheirs: false to Adopt once no ${adopt.from} process runs`,
    );
  }
}

/**
 * Reads options as 1.x did: unknown keys ignored, its own options by truthiness (each
 * loose value logs one debug line). Errors only where 1.x failed too, and for 2.x's options.
 */
export function readOptions(input: unknown): Settings {
  if (input === undefined || input === null) input = {};
  // 1.x read `Options && Options.Name`: a value of another kind gave its properties, if any.
  if (typeof input !== 'object' || Array.isArray(input)) {
    const read = typeof input === 'function' || Array.isArray(input) ? 'for its properties' : 'as no options';
    debug('options: %s %s read %s, as 1.x did', Array.isArray(input) ? 'array' : typeof input, shown(input), read);
    if (typeof input !== 'function' && typeof input !== 'object') input = {};
  }
  const options = input as createStore.Options as Loose;

  const timeToLive = readTimeToLive(options);
  const touchInterval = strictWhole(options, 'TouchInterval', 0, 'seconds');
  if (timeToLive > 0 && touchInterval >= timeToLive) {
    throw new RangeError(
      `Option TouchInterval (${touchInterval}) must be shorter than TimeToLive (${timeToLive}), or sessions expire while in use`,
    );
  }

  const encryption = readEncryptionKeys(options.EncryptionKeys);
  const adopt = readAdopt(options.Adopt);
  const indexSessionId = looseBoolean(options, 'IndexSessionID') ?? false;
  if (adopt) checkAdoptWith(adopt, indexSessionId, encryption);
  return {
    ...(encryption ? { encryption } : {}),
    // Their default: a collection connect-mongo or connect-mongodb-session made without naming it.
    collectionName: adopt && options.CollectionName === undefined ? 'sessions' : readCollectionName(options),
    timeToLive,
    indexSessionId,
    filter: looseBoolean(options, 'Filter') ?? false,
    deleteFlags: readDeleteFlags(options),
    operationTimeoutMs: strictWhole(options, 'OperationTimeoutMS', DEFAULT_OPERATION_TIMEOUT_MS, 'milliseconds', MAX_TIMER_MS),
    touchInterval,
    maxLifetime: strictWhole(options, 'MaxLifetime', 0, 'seconds'),
    userKey: readUserKey(options.UserKey),
    fenceLateWrites: strictBoolean(options, 'FenceLateWrites'),
    sharedWith1x: strictBoolean(options, 'SharedWith1x') ?? true,
    adopt,
  };
}
