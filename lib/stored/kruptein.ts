import { createCipheriv, createDecipheriv, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { boundedMap } from '../util/bounded-map';

/**
 * The format kruptein 3 writes, as connect-mongo 6's `crypto` option uses it, written here with
 * node:crypto so that the package needs no kruptein of its own. Only the AEAD (GCM) ciphers: the
 * others take another layout, and connect-mongo's defaults use GCM.
 *
 * A stored value is, in `encodeas` (base64 by default), the DER of a SEQUENCE of six OCTET
 * STRINGs, in this order:
 *   ct    the ciphertext, as text in `encodeas`
 *   hmac  HMAC(`hashing`, key) of that text, as text in `encodeas`
 *   iv    12 random bytes
 *   salt  128 random bytes
 *   at    the GCM tag, 16 bytes
 *   aad   the additional authenticated data, as text in `encodeas`
 * The key is PBKDF2(secret, salt, 15000 iterations, key size, `hashing`). The plaintext is the
 * JSON of what kruptein was given (connect-mongo gives it a string: the plaintext is that string
 * quoted as JSON).
 *
 * connect-mongo passes `key_size`, `iv_size` and `at_size` to kruptein, which reads none of
 * them (it reads `_key_size`...): the sizes follow from the algorithm alone, as here.
 */

export const KRUPTEIN_ALGORITHMS = { 'aes-128-gcm': 16, 'aes-192-gcm': 24, 'aes-256-gcm': 32 } as const;
export const KRUPTEIN_HASHINGS = ['sha256', 'sha384', 'sha512'] as const;
export const KRUPTEIN_ENCODINGS = ['base64', 'base64url', 'hex'] as const;

export interface KrupteinFormat {
  algorithm: keyof typeof KRUPTEIN_ALGORITHMS;
  hashing: (typeof KRUPTEIN_HASHINGS)[number];
  encodeas: (typeof KRUPTEIN_ENCODINGS)[number];
}

/** The same calls as connect-mongo's adapters: text in, stored value out, and back. */
export interface TextCipher {
  encrypt(text: string): Promise<string>;
  /** Rejects, with the reason, when the value does not open. */
  decrypt(stored: string): Promise<string>;
}

const ITERATIONS = 15_000;
const SALT_BYTES = 128;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The digest's length: kruptein's aad is an HMAC of the plaintext under a random key. */
const DIGEST_BYTES = { sha256: 32, sha384: 48, sha512: 64 } as const;
/**
 * Writes share one salt, and so one key, for this many values: a derivation is 15000 rounds of
 * PBKDF2, which kruptein pays on every write. Each value still has its own random IV, and a key
 * seals far fewer values than GCM's bound of 2^32 with random IVs.
 */
const SEALS_PER_SALT = 1 << 20;
/** Keys derived for values read, by salt: each connect-mongo write draws a new salt. */
const KEYS_KEPT = 1_000;

const SEQUENCE = 0x30;
const OCTET_STRING = 0x04;
const derive = promisify(pbkdf2);

function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(length);
  const digits = size.subarray(size.findIndex((byte) => byte !== 0));
  return Buffer.concat([Buffer.from([tag, 0x80 | digits.length]), digits]);
}

function derSequence(items: Buffer[]): Buffer {
  const body = Buffer.concat(items.flatMap((item) => [derHeader(OCTET_STRING, item.length), item]));
  return Buffer.concat([derHeader(SEQUENCE, body.length), body]);
}

/** One DER element at `at`: its tag and contents, and where the next starts; null if malformed. */
function derElement(bytes: Buffer, at: number): { tag: number; body: Buffer; next: number } | null {
  if (at + 2 > bytes.length) return null;
  let length = bytes[at + 1]!;
  let start = at + 2;
  if (length >= 0x80) {
    const digits = length & 0x7f;
    if (digits === 0 || digits > 4 || start + digits > bytes.length) return null;
    length = bytes.readUIntBE(start, digits);
    start += digits;
  }
  if (start + length > bytes.length) return null;
  return { tag: bytes[at]!, body: bytes.subarray(start, start + length), next: start + length };
}

/** The six octet strings of a stored value, or null when it is not in that form. */
function derParts(bytes: Buffer): Buffer[] | null {
  const outer = derElement(bytes, 0);
  if (!outer || outer.tag !== SEQUENCE || outer.next !== bytes.length) return null;
  const parts: Buffer[] = [];
  for (let at = 0; at < outer.body.length;) {
    const item = derElement(outer.body, at);
    if (!item || item.tag !== OCTET_STRING) return null;
    parts.push(item.body);
    at = item.next;
  }
  return parts.length === 6 ? parts : null;
}

function hmacText(format: KrupteinFormat, key: Buffer, ctText: string): string {
  return createHmac(format.hashing, key).update(ctText).digest(format.encodeas);
}

function seal(format: KrupteinFormat, key: Buffer, salt: Buffer, text: string): string {
  const iv = randomBytes(IV_BYTES);
  // kruptein's aad is an HMAC of the plaintext under 128 random bytes it then forgets: bytes
  // no one can tell from random ones of the digest's length, which is what they are here.
  const aad = randomBytes(DIGEST_BYTES[format.hashing]);
  const cipher = createCipheriv(format.algorithm, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(JSON.stringify(text), 'utf8'), cipher.final()]).toString(format.encodeas);
  const parts = [ct, hmacText(format, key, ct), iv, salt, cipher.getAuthTag(), aad.toString(format.encodeas)];
  return derSequence(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part))).toString(format.encodeas);
}

/** The plaintext kruptein would return for `parts`, read with `key`; throws when it does not open. */
function open(format: KrupteinFormat, key: Buffer, parts: Buffer[]): string {
  const [ct, hmac, iv, , at, aad] = parts as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  const ctText = ct.toString();
  const expected = Buffer.from(hmacText(format, key, ctText));
  if (expected.length !== hmac.length || !timingSafeEqual(expected, hmac)) {
    throw new Error('its HMAC does not match: sealed with another secret or options, or altered');
  }
  try {
    const decipher = createDecipheriv(format.algorithm, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(at);
    decipher.setAAD(Buffer.from(aad.toString(), format.encodeas));
    return decipher.update(ctText, format.encodeas, 'utf8') + decipher.final('utf8');
  } catch {
    throw new Error('it fails authentication (GCM): altered');
  }
}

/** connect-mongo's kruptein adapter for `secret` and `format`: what its `crypto` option makes. */
export function krupteinCipher(secret: string, format: KrupteinFormat): TextCipher {
  const keySize = KRUPTEIN_ALGORITHMS[format.algorithm];
  const keys = boundedMap<Promise<Buffer>>(KEYS_KEPT);
  const keyFor = (salt: Buffer): Promise<Buffer> => {
    const id = salt.toString('base64');
    let key = keys.get(id);
    if (!key) {
      key = derive(secret, salt, ITERATIONS, keySize, format.hashing);
      keys.set(id, key);
    }
    return key;
  };
  let writing = { salt: randomBytes(SALT_BYTES), seals: 0 };
  return {
    async encrypt(text) {
      if (writing.seals >= SEALS_PER_SALT) writing = { salt: randomBytes(SALT_BYTES), seals: 0 };
      writing.seals++;
      const { salt } = writing;
      return seal(format, await keyFor(salt), salt, text);
    },
    async decrypt(stored) {
      const parts = derParts(Buffer.from(stored, format.encodeas));
      if (!parts) throw new Error(`it is not a kruptein value in ${format.encodeas}`);
      return open(format, await keyFor(parts[3]!), parts);
    },
  };
}
