import { expect } from 'chai';
import { createKrupteinAdapter, createWebCryptoAdapter, type CryptoAdapter } from 'connect-mongo';
import { promisify } from 'node:util';
import { connectMongoCipher, type SessionFieldCipher } from '../../lib/stored/connect-mongo-crypto';
import { debugLines } from '../support/debug-lines';

/** A line of the cipher under test (the store's other debug lines are not). */
const ownLine = (line: string): boolean => line.includes('a connect-mongo session reads as missing');

/*
 * The cipher of connect-mongo 6's `session` field, checked against the real thing both ways:
 * connect-mongo's own adapters (the `crypto` option makes createKrupteinAdapter's) and the
 * kruptein package it runs on. What connect-mongo seals is a session's JSON text; it reads back
 * what its adapter's decrypt returns, unquoted once if that is a JSON string.
 */

interface Kruptein {
  set(secret: string, plaintext: string, cb: (err: unknown, ct?: string) => void): void;
  get(secret: string, ciphertext: string, cb: (err: unknown, pt?: string) => void): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kruptein = require('kruptein') as (options: object) => Kruptein;

const SECRET = 'squirrel';
const TEXT = JSON.stringify({
  cookie: { originalMaxAge: 3600000, expires: '2030-01-02T03:04:05.678Z', httpOnly: true, path: '/' },
  values: { name: 'MARKER-ada', quote: '"\\', unicode: 'é 😀 \u2028' },
});

function cipher(adopt: { crypto?: unknown; cryptoAdapter?: unknown }): SessionFieldCipher {
  const made = connectMongoCipher(adopt);
  if (!made) throw new Error('no cipher made');
  return made;
}

/** What connect-mongo 6 makes of a decrypted value when it reads (its parseDecryptedPayload, stringify: true). */
function asConnectMongoReads(decrypted: string): string {
  const parsed: unknown = JSON.parse(decrypted);
  return typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
}

/** Where each of the six parts of a stored value (DER of a SEQUENCE of OCTET STRINGs) lies. */
function partSpans(der: Buffer): Array<[number, number]> {
  const element = (at: number): [number, number] => {
    const first = der[at + 1]!;
    const digits = first < 0x80 ? 0 : first & 0x7f;
    const length = digits === 0 ? first : der.readUIntBE(at + 2, digits);
    return [at + 2 + digits, at + 2 + digits + length];
  };
  const spans: Array<[number, number]> = [];
  for (let at = element(0)[0]; at < der.length; at = spans.at(-1)![1]) spans.push(element(at));
  return spans;
}

/** `stored` (base64) with one bit flipped in the middle of each part in turn. */
function eachPartAltered(stored: string): string[] {
  const der = Buffer.from(stored, 'base64');
  return partSpans(der).map(([start, end]) => {
    const copy = Buffer.from(der);
    copy[(start + end) >> 1]! ^= 0x02;
    return copy.toString('base64');
  });
}

describe("connect-mongo's crypto (Adopt.crypto, Adopt.cryptoAdapter)", () => {
  it("opens what connect-mongo's crypto: { secret } seals, and seals what it opens (defaults: aes-256-gcm, sha512, base64)", async () => {
    const real = createKrupteinAdapter({ secret: SECRET });
    const ours = cipher({ crypto: { secret: SECRET } });
    expect(await ours.open(await real.encrypt(TEXT))).to.equal(TEXT);
    const sealed = await ours.seal(TEXT);
    expect(sealed).to.match(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(sealed, 'base64').includes('MARKER')).to.equal(false);
    expect(asConnectMongoReads(await real.decrypt(sealed))).to.equal(TEXT);
  });

  it('reads and writes the kruptein package itself, with the options connect-mongo gives it', async () => {
    const k = kruptein({ algorithm: 'aes-256-gcm', hashing: 'sha512', encodeas: 'base64' });
    const set = promisify(k.set.bind(k)) as (secret: string, text: string) => Promise<string>;
    const get = promisify(k.get.bind(k)) as (secret: string, text: string) => Promise<string>;
    const ours = cipher({ crypto: { secret: SECRET } });
    expect(await ours.open(await set(SECRET, TEXT))).to.equal(TEXT);
    // kruptein seals the JSON of the string it is given: it hands that JSON back.
    expect(await get(SECRET, await ours.seal(TEXT))).to.equal(JSON.stringify(TEXT));
  });

  it('matches connect-mongo both ways for each algorithm, hashing and encodeas it supports', async () => {
    for (const algorithm of ['aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm']) {
      for (const hashing of ['sha256', 'sha384', 'sha512']) {
        for (const encodeas of ['base64', 'base64url', 'hex']) {
          const crypto = { secret: SECRET, algorithm, hashing, encodeas };
          const real = createKrupteinAdapter(crypto);
          const ours = cipher({ crypto });
          const label = JSON.stringify(crypto);
          expect(await ours.open(await real.encrypt(TEXT)), label).to.equal(TEXT);
          expect(asConnectMongoReads(await real.decrypt(await ours.seal(TEXT))), label).to.equal(TEXT);
        }
      }
    }
  });

  it('takes key_size, iv_size and at_size as connect-mongo does: kruptein reads none of them', async () => {
    const crypto = { secret: SECRET, algorithm: 'aes-128-gcm', key_size: 32, iv_size: 16, at_size: 16 };
    const real = createKrupteinAdapter(crypto);
    const ours = cipher({ crypto });
    expect(await ours.open(await real.encrypt(TEXT))).to.equal(TEXT);
    expect(asConnectMongoReads(await real.decrypt(await ours.seal(TEXT)))).to.equal(TEXT);
  });

  it('round-trips an empty text and one of 100 kB (DER lengths of one to three bytes)', async () => {
    const real = createKrupteinAdapter({ secret: SECRET });
    const ours = cipher({ crypto: { secret: SECRET } });
    for (const text of ['', '{}', JSON.stringify({ big: 'x'.repeat(100_000) })]) {
      expect(await ours.open(await real.encrypt(text))).to.equal(text);
      expect(asConnectMongoReads(await real.decrypt(await ours.seal(text)))).to.equal(text);
    }
  });

  it('seals each value with a fresh IV and aad under one salt (one key derived), so the same session never seals the same', async () => {
    const ours = cipher({ crypto: { secret: SECRET } });
    const [a, b] = [await ours.seal(TEXT), await ours.seal(TEXT)].map((value) => Buffer.from(value, 'base64'));
    const part = (der: Buffer, index: number): Buffer => der.subarray(...partSpans(der)[index]!);
    expect(part(a, 3)).to.have.length(128);
    expect(part(a, 3).equals(part(b, 3)), 'salt').to.equal(true);
    for (const [index, name] of [
      [0, 'ct'],
      [2, 'iv'],
      [5, 'aad'],
    ] as const)
      expect(part(a, index).equals(part(b, index)), name).to.equal(false);
    expect(await ours.open(a.toString('base64'))).to.equal(TEXT);
    expect(await ours.open(b.toString('base64'))).to.equal(TEXT);
  });

  it('reads a value sealed with another secret or other options as missing, with one debug line naming no secret or data', async () => {
    const sealed = await createKrupteinAdapter({ secret: SECRET }).encrypt(TEXT);
    const others = [{ secret: 'squirrel2' }, { secret: SECRET, hashing: 'sha384' }, { secret: SECRET, algorithm: 'aes-128-gcm' }];
    for (const crypto of others) {
      let opened: unknown = 'not called';
      const lines = await debugLines(async () => (opened = await cipher({ crypto }).open(sealed)));
      expect(opened, JSON.stringify(crypto)).to.equal(undefined);
      // Stores left by earlier specs may log in the same window (a timer firing while the key
      // is derived): only this cipher's lines are counted.
      const own = lines.filter(ownLine);
      expect(own).to.have.length(1);
      expect(own[0]).to.match(/a connect-mongo session reads as missing: Adopt\.crypto does not open it: its HMAC does not match/);
      for (const secret of [SECRET, 'MARKER', sealed.slice(0, 40)]) for (const line of lines) expect(line).not.to.include(secret);
    }
  });

  it('reads a value with any part altered (ciphertext, HMAC, IV, salt, tag, aad), cut short, or not sealed at all as missing', async () => {
    const ours = cipher({ crypto: { secret: SECRET } });
    const sealed = await createKrupteinAdapter({ secret: SECRET }).encrypt(TEXT);
    const parts = eachPartAltered(sealed);
    expect(parts).to.have.length(6);
    // The same parts in another structure: the first one tagged INTEGER, the last one left out.
    const der = Buffer.from(sealed, 'base64');
    const integer = Buffer.from(der);
    integer[partSpans(der)[0]![0] - 3] = 0x02;
    const five = Buffer.concat([Buffer.from([0x30, 0x82, 0, 0]), der.subarray(4, partSpans(der)[4]![1])]);
    five.writeUInt16BE(five.length - 4, 2);
    const reshaped = [integer, five].map((bytes) => bytes.toString('base64'));
    const values = [...parts, ...reshaped, sealed.slice(0, 300), '', 'not base64 at all', TEXT, JSON.stringify(TEXT)];
    const logged = await debugLines(async () => {
      for (const value of values) expect(await ours.open(value), value.slice(0, 20)).to.equal(undefined);
      expect(await ours.open(12 as unknown as string)).to.equal(undefined);
      expect(await ours.open(sealed)).to.equal(TEXT);
    });
    // Only this cipher's lines: a store an earlier spec left may log in the same window (a clean
    // clone's CI counted 19 lines for 14 once).
    const lines = logged.filter(ownLine);
    expect(lines).to.have.length(values.length + 1);
    expect(lines.at(-1)).to.match(/its session field is number, not a sealed string/);
    expect(lines.filter((line) => /is not a kruptein value in base64/.test(line)).length).to.equal(7);
    expect(lines.filter((line) => /HMAC does not match|fails authentication/.test(line)).length).to.equal(6);
  });

  it('passes cryptoAdapter the calls connect-mongo makes: web crypto adapter both ways', async () => {
    const adapter = createWebCryptoAdapter({ secret: 'a web crypto secret', iterations: 1000 });
    const ours = cipher({ cryptoAdapter: adapter });
    expect(await ours.open(await adapter.encrypt(TEXT))).to.equal(TEXT);
    const sealed = await ours.seal(TEXT);
    expect(asConnectMongoReads(await adapter.decrypt(sealed))).to.equal(TEXT);
    const other = cipher({ cryptoAdapter: createWebCryptoAdapter({ secret: 'another secret', iterations: 1000 }) });
    const lines = await debugLines(async () => expect(await other.open(sealed)).to.equal(undefined));
    // Only this cipher's lines: stores left by earlier specs may log while the key is derived.
    const own = lines.filter((line) => line.includes('reads as missing: Adopt.cryptoAdapter'));
    expect(own).to.have.length(1);
    expect(own[0]).to.match(/reads as missing: Adopt\.cryptoAdapter does not open it/);
  });

  it("unquotes what connect-mongo's kruptein adapter decrypts, given as cryptoAdapter, as connect-mongo does", async () => {
    const adapter = createKrupteinAdapter({ secret: SECRET });
    const ours = cipher({ cryptoAdapter: adapter });
    expect(await ours.open(await adapter.encrypt(TEXT))).to.equal(TEXT);
    expect(await cipher({ crypto: { secret: SECRET } }).open(await ours.seal(TEXT))).to.equal(TEXT);
    // A custom serialize's text that is not JSON comes back as it is.
    expect(await ours.open(await adapter.encrypt('plain text'))).to.equal('plain text');
  });

  it('calls the adapter as a method (it may use this), once per seal or open', async () => {
    const calls: string[] = [];
    class Reverse implements CryptoAdapter {
      prefix = 'rev:';
      async encrypt(text: string): Promise<string> {
        calls.push('encrypt');
        return this.prefix + [...text].reverse().join('');
      }
      async decrypt(stored: string): Promise<string> {
        calls.push('decrypt');
        if (!stored.startsWith(this.prefix)) throw new Error('no prefix');
        return [...stored.slice(this.prefix.length)].reverse().join('');
      }
    }
    const ours = cipher({ cryptoAdapter: new Reverse() });
    expect(await ours.seal('{"a":1}')).to.equal('rev:}1:"a"{');
    expect(await ours.open('rev:}1:"a"{')).to.equal('{"a":1}');
    expect(calls).to.deep.equal(['encrypt', 'decrypt']);
    // A custom serialize's text that is not JSON comes back as it is.
    expect(await ours.open(await ours.seal('plain text'))).to.equal('plain text');
  });

  it('turns a failing adapter into a clear error on write and a missing session on read, never a crash', async () => {
    const boom = new Error('KMS unreachable');
    const failing = (how: 'throw' | 'reject' | 'number'): CryptoAdapter => ({
      encrypt: (): Promise<string> => {
        if (how === 'throw') throw boom;
        return how === 'reject' ? Promise.reject(boom) : Promise.resolve(42 as unknown as string);
      },
      decrypt: (): Promise<string> => {
        if (how === 'throw') throw boom;
        return how === 'reject' ? Promise.reject(boom) : Promise.resolve({ a: 1 } as unknown as string);
      },
    });
    for (const how of ['throw', 'reject'] as const) {
      const ours = cipher({ cryptoAdapter: failing(how) });
      const error = await ours.seal(TEXT).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message, how).to.equal('Adopt.cryptoAdapter could not seal the session, which was not written: KMS unreachable');
      expect(error?.cause).to.equal(boom);
      const lines = (await debugLines(async () => expect(await ours.open('x')).to.equal(undefined))).filter(ownLine);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/Adopt\.cryptoAdapter does not open it: KMS unreachable/);
    }
    const wrongType = cipher({ cryptoAdapter: failing('number') });
    const sealError = await wrongType.seal(TEXT).then(
      () => null,
      (e: Error) => e,
    );
    expect(sealError)
      .to.be.instanceOf(TypeError)
      .with.property('message', 'Adopt.cryptoAdapter.encrypt must resolve to a string, got number');
    const openError = await wrongType.open('x').then(
      () => null,
      (e: Error) => e,
    );
    expect(openError)
      .to.be.instanceOf(TypeError)
      .with.property('message', 'Adopt.cryptoAdapter.decrypt must resolve to a string, got object');
  });

  it('makes no cipher where connect-mongo encrypts nothing', () => {
    expect(connectMongoCipher({})).to.equal(undefined);
    expect(connectMongoCipher({ crypto: { secret: false } })).to.equal(undefined);
    expect(connectMongoCipher({ cryptoAdapter: null })).to.equal(undefined);
  });

  it('refuses options it cannot honour with a TypeError or RangeError that names the fix', () => {
    const adapterFix = /createKrupteinAdapter\(the same crypto options\)/;
    const cases: Array<[object, ErrorConstructor, RegExp]> = [
      [
        { crypto: null },
        TypeError,
        /^Option Adopt\.crypto must be connect-mongo's crypto option, an object such as \{ secret: '\.\.\.' \}, got null$/,
      ],
      [{ crypto: 'squirrel' }, TypeError, /^Option Adopt\.crypto must be .*, got a string of 8 characters$/],
      [{ crypto: {} }, TypeError, /^Option Adopt\.crypto\.secret must be the non-empty string connect-mongo was given, got undefined$/],
      [{ crypto: { secret: '' } }, TypeError, /secret must be the non-empty string .*, got a string of 0 characters$/],
      [{ crypto: { secret: Buffer.from('x') } }, TypeError, /secret must be the non-empty string .*, got object$/],
      [
        { crypto: { secret: SECRET, algorithm: 'aes-256-cbc' } },
        RangeError,
        /^Option Adopt\.crypto\.algorithm must be one of 'aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm', got 'aes-256-cbc': use one of those, or pass/,
      ],
      [
        { crypto: { secret: SECRET, hashing: 'md5' } },
        RangeError,
        /^Option Adopt\.crypto\.hashing must be one of 'sha256', 'sha384', 'sha512', got 'md5'/,
      ],
      [
        { crypto: { secret: SECRET, encodeas: 'latin1' } },
        RangeError,
        /^Option Adopt\.crypto\.encodeas must be one of 'base64', 'base64url', 'hex', got 'latin1'/,
      ],
      [{ crypto: { secret: SECRET, encodeas: 64 } }, TypeError, /encodeas must be one of .*, got number/],
      [
        { crypto: { secret: SECRET, use_scrypt: true } },
        RangeError,
        /^Option Adopt\.crypto\.use_scrypt is not read here: remove it, or pass/,
      ],
      [{ crypto: { secret: SECRET, _key_size: 16 } }, RangeError, /^Option Adopt\.crypto\._key_size is not read here/],
      [
        { crypto: { secret: SECRET }, cryptoAdapter: createKrupteinAdapter({ secret: SECRET }) },
        RangeError,
        /^Options Adopt\.crypto and Adopt\.cryptoAdapter cannot both be set, as in connect-mongo: keep the one connect-mongo was given$/,
      ],
      [
        { cryptoAdapter: {} },
        TypeError,
        /^Option Adopt\.cryptoAdapter must be the adapter connect-mongo was given, an object with encrypt\(text\) and decrypt\(text\) methods, got object$/,
      ],
      [{ cryptoAdapter: { encrypt: () => '' } }, TypeError, /cryptoAdapter must be the adapter .*, got object$/],
      [{ cryptoAdapter: 'adapter' }, TypeError, /cryptoAdapter must be the adapter .*, got a string of 7 characters$/],
    ];
    for (const [adopt, type, message] of cases) {
      const label = JSON.stringify(adopt);
      expect(() => connectMongoCipher(adopt), label).to.throw(type, message);
    }
    for (const name of ['algorithm', 'hashing', 'encodeas', 'use_scrypt']) {
      const bad = { secret: SECRET, algorithm: 'x', hashing: 'x', encodeas: 'x', use_scrypt: 1 };
      const only = Object.fromEntries(Object.entries(bad).filter(([key]) => key === 'secret' || key === name));
      expect(() => connectMongoCipher({ crypto: only }), name).to.throw(adapterFix);
    }
  });
});
