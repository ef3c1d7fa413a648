import createDebug from 'debug';
import {
  KRUPTEIN_ALGORITHMS,
  KRUPTEIN_ENCODINGS,
  KRUPTEIN_HASHINGS,
  krupteinCipher,
  type KrupteinFormat,
  type TextCipher,
} from './kruptein';

/**
 * The `session` field of connect-mongo 6's documents when its `crypto` or `cryptoAdapter` option
 * is set: a string sealed from the JSON text of the session (what connect-mongo would store
 * unencrypted, or JSON.stringify of it with `stringify: false`). `Adopt`'s `crypto` and
 * `cryptoAdapter` take the very options connect-mongo took, so the same secret opens both ways.
 *
 * A value that does not open (another secret, altered, not sealed at all) reads as missing, with
 * one debug line, as a sealed `Data` does (encryption.ts): what someone who can write to the
 * collection puts there is never served. A failed write is an error: nothing is lost.
 */

const debug = createDebug('express-session-mongodb');

export interface SessionFieldCipher {
  /** What connect-mongo stores in `session` for the session whose JSON text is `text`. */
  seal(text: string): Promise<string>;
  /** The JSON text sealed in `stored`, or undefined (one debug line) when it does not open. */
  open(stored: string): Promise<string | undefined>;
}

/** What connect-mongo 6 documents for `crypto`, whose defaults are these (key_size etc. are unread). */
const CRYPTO_DEFAULTS = { algorithm: 'aes-256-gcm', hashing: 'sha512', encodeas: 'base64' } as const;
const IGNORED = ['key_size', 'iv_size', 'at_size'];
const ADAPTER_FIX = "or pass connect-mongo's own adapter: Adopt.cryptoAdapter = createKrupteinAdapter(the same crypto options)";

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return Array.isArray(value) ? 'an array' : typeof value;
}

function choice<T extends string>(crypto: Record<string, unknown>, name: keyof typeof CRYPTO_DEFAULTS, allowed: readonly T[]): T {
  const value = crypto[name] ?? CRYPTO_DEFAULTS[name];
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const Err = typeof value === 'string' ? RangeError : TypeError;
  const shown = typeof value === 'string' ? `'${value}'` : describe(value);
  throw new Err(`Option Adopt.crypto.${name} must be one of '${allowed.join("', '")}', got ${shown}: use one of those, ${ADAPTER_FIX}`);
}

/** Validates connect-mongo's `crypto` option; undefined where connect-mongo encrypts nothing. */
function readCrypto(crypto: unknown): (KrupteinFormat & { secret: string }) | undefined {
  if (typeof crypto !== 'object' || crypto === null || Array.isArray(crypto)) {
    throw new TypeError(
      `Option Adopt.crypto must be connect-mongo's crypto option, an object such as { secret: '...' }, got ${describe(crypto)}`,
    );
  }
  const options = crypto as Record<string, unknown>;
  // connect-mongo encrypts nothing when the secret is false.
  if (options.secret === false) return undefined;
  const unknown = Object.keys(options).filter((key) => key !== 'secret' && !(key in CRYPTO_DEFAULTS) && !IGNORED.includes(key));
  if (unknown.length > 0) {
    throw new RangeError(`Option Adopt.crypto.${unknown[0]} is not read here: remove it, ${ADAPTER_FIX}`);
  }
  const { secret } = options;
  if (typeof secret !== 'string' || secret === '') {
    throw new TypeError(`Option Adopt.crypto.secret must be the non-empty string connect-mongo was given, got ${describe(secret)}`);
  }
  const algorithms = Object.keys(KRUPTEIN_ALGORITHMS) as Array<keyof typeof KRUPTEIN_ALGORITHMS>;
  return {
    secret,
    algorithm: choice(options, 'algorithm', algorithms),
    hashing: choice(options, 'hashing', KRUPTEIN_HASHINGS),
    encodeas: choice(options, 'encodeas', KRUPTEIN_ENCODINGS),
  };
}

function readAdapter(adapter: unknown): TextCipher {
  const methods = adapter as { encrypt?: unknown; decrypt?: unknown } | null;
  if (typeof adapter !== 'object' || typeof methods?.encrypt !== 'function' || typeof methods.decrypt !== 'function') {
    throw new TypeError(
      `Option Adopt.cryptoAdapter must be the adapter connect-mongo was given, an object with encrypt(text) and decrypt(text) methods, got ${describe(adapter)}`,
    );
  }
  return adapter as TextCipher;
}

/**
 * What a decrypt hands back, as the JSON text that was sealed. connect-mongo's kruptein adapter
 * returns that text quoted as JSON (kruptein seals the JSON of the string it is given); other
 * adapters return it as it was: connect-mongo unquotes the same way when it reads.
 */
function sealedText(decrypted: string): string {
  try {
    const parsed: unknown = JSON.parse(decrypted);
    if (typeof parsed === 'string') return parsed;
  } catch {
    // Not JSON: a custom serialize's text, read as it is.
  }
  return decrypted;
}

function missing(why: string): undefined {
  debug('a connect-mongo session reads as missing: %s', why);
  return undefined;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fieldCipher(cipher: TextCipher, who: string): SessionFieldCipher {
  return {
    async seal(text) {
      let stored: unknown;
      try {
        // A method call, as connect-mongo makes it: the adapter may use `this`.
        stored = await cipher.encrypt(text);
      } catch (error) {
        throw new Error(`${who} could not seal the session, which was not written: ${reason(error)}`, { cause: error });
      }
      if (typeof stored !== 'string') throw new TypeError(`${who}.encrypt must resolve to a string, got ${describe(stored)}`);
      return stored;
    },
    async open(stored) {
      if (typeof stored !== 'string') return missing(`its session field is ${describe(stored)}, not a sealed string`);
      let text: unknown;
      try {
        text = await cipher.decrypt(stored);
      } catch (error) {
        return missing(`${who} does not open it: ${reason(error)}`);
      }
      if (typeof text !== 'string') throw new TypeError(`${who}.decrypt must resolve to a string, got ${describe(text)}`);
      return sealedText(text);
    },
  };
}

/**
 * The cipher of the `session` field for `Adopt`'s `crypto` or `cryptoAdapter` (connect-mongo's
 * options of those names); undefined when neither encrypts. Throws a TypeError or RangeError
 * naming the fix for options it cannot honour.
 */
export function connectMongoCipher(adopt: { crypto?: unknown; cryptoAdapter?: unknown }): SessionFieldCipher | undefined {
  const { crypto, cryptoAdapter } = adopt;
  if (crypto !== undefined && cryptoAdapter !== undefined) {
    throw new RangeError(
      'Options Adopt.crypto and Adopt.cryptoAdapter cannot both be set, as in connect-mongo: keep the one connect-mongo was given',
    );
  }
  // connect-mongo reads a null adapter as none.
  if (cryptoAdapter !== undefined && cryptoAdapter !== null) return fieldCipher(readAdapter(cryptoAdapter), 'Adopt.cryptoAdapter');
  if (crypto === undefined) return undefined;
  const options = readCrypto(crypto);
  if (!options) return undefined;
  const { secret, ...format } = options;
  return fieldCipher(krupteinCipher(secret, format), 'Adopt.crypto');
}
