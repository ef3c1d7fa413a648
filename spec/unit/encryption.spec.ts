import { expect } from 'chai';
import { BSON } from 'mongodb';
import crypto from 'node:crypto';
import { inspect } from 'node:util';
import sinon from 'sinon';
import { readableFields, readEncryptionKeys, sealedCookie, writtenFields, type Keyring } from '../../lib/stored/encryption';
import { debugLines } from '../support/debug-lines';

const K1 = 'first secret, 32 characters long';
const K2 = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
const K3 = 'third secret, also long enough!!';

function ring(keys: unknown): Keyring {
  return readEncryptionKeys(keys)!;
}

/** The key id a sealed Data names (bytes 1 to 4). */
const keyIdOf = (sealed: Uint8Array): string => Buffer.from(sealed.subarray(1, 5)).toString('hex');

describe('encryption (EncryptionKeys)', () => {
  const fields = {
    Data: {
      cookie: { path: '/', expires: new Date('2030-01-02T03:04:05.678Z'), originalMaxAge: 1000 },
      user: { name: 'MARKER-ada', roles: ['admin', 'ops'], since: new Date(0) },
      'a.b': { $c: 1 },
      empty: {},
      n: -1.5,
      buf: Buffer.from('bytes'),
      u: undefined,
    },
    FilterVersion: 0,
  };

  it('seals a session into version | key id | IV | tag | ciphertext, and opens it exactly as stored', () => {
    const keys = ring([K1]);
    const sealed = Buffer.from(keys.seal('sid-1', 'Data', fields));
    expect(keys.seal('sid-1', 'Data', fields)).not.to.be.instanceOf(Buffer);
    expect(sealed[0]).to.equal(1);
    expect(sealed.length).to.equal(1 + 4 + 12 + 16 + BSON.calculateObjectSize(fields, { ignoreUndefined: false }));
    expect(sealed.includes(Buffer.from('MARKER'))).to.equal(false);
    const opened = keys.open('sid-1', 'Data', sealed)!;
    // What the driver would read back from the plaintext path: undefined as null, bytes as a Binary.
    const asStored = BSON.deserialize(BSON.serialize(fields, { ignoreUndefined: false }));
    expect(opened).to.deep.equal(asStored);
    expect((opened.Data as { user: { since: Date } }).user.since).to.be.instanceOf(Date);
  });

  it("opens what an earlier 2.x release sealed (a Data and a touch's Cookie): the stored format is unchanged", () => {
    // Sealed by the code before issue 21's single-buffer seal, with the secret below.
    const keys = ring(['format vector secret, 32 characters or more']);
    const data = Buffer.from(
      'Ae2modjvFM2VBNfCezsz3roQJiH1DbXy0YcQSsMEk+8Fk1X/qUBvz52BzboFYyiZhmC3rgZNHBhusP4s3sAKBj2S1XcClGNUgmL8B7Wr5pEKVtNWg92RXQrwHGvftwBb/Q60PmVqWnWYWJAWPOO3JtM2YwhlA+tgv3V2XhGMSzCyW0y18FEuekwqdcU3gI0EHuxvrg==',
      'base64',
    );
    const cookie = Buffer.from('Ae2modgQdldYV2NXXyRIUdjqOYTUYDwUkUt9Q8ezAl4vCexxfPIzg3ZN4tLB33uaAtKD2zWEwUDsyZKqrNevLA==', 'base64');
    expect(keys.open('vector-sid', 'Data', data)).to.deep.equal({
      Data: { cookie: { path: '/', httpOnly: true }, user: 'ada', é: [1, 2.5, null] },
      FilterVersion: 3,
    });
    expect(keys.open('vector-sid', 'Cookie', cookie)).to.deep.equal({ cookie: { path: '/x' } });
    expect(keys.open('other-sid', 'Data', data)).to.equal(null);
  });

  it('seals exactly version | key id | IV | tag | AES-256-GCM(BSON) with the field and the session ID as authenticated data', () => {
    const secret = 'layout secret, 32 characters or more';
    const keys = ring([secret]);
    // Both fields, and an ID with multi-byte characters, through the same shared AAD buffer in turn.
    for (const [field, sid] of [
      ['Data', 'sïd-ü'],
      ['Cookie', 's'],
      ['Data', 'x'.repeat(1024)],
      ['Data', 'é'.repeat(1400)],
    ] as const) {
      const sealed = Buffer.from(field === 'Data' ? keys.seal(sid, 'Data', fields) : sealedCookie(keys, sid, { path: '/' }));
      const key = Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), 'express-session-mongodb EncryptionKeys v1', 32));
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(5, 17));
      decipher.setAAD(Buffer.concat([sealed.subarray(0, 5), Buffer.from(`${field}\0${sid}`)]));
      decipher.setAuthTag(sealed.subarray(17, 33));
      const plain = Buffer.concat([decipher.update(sealed.subarray(33)), decipher.final()]);
      const expected = field === 'Data' ? fields : { cookie: { path: '/' } };
      expect(plain.equals(Buffer.from(BSON.serialize(expected, { ignoreUndefined: false })))).to.equal(true);
    }
  });

  it('uses a fresh IV for every write: the same session seals differently each time', () => {
    const keys = ring([K1]);
    const a = Buffer.from(keys.seal('sid', 'Data', fields));
    const b = Buffer.from(keys.seal('sid', 'Data', fields));
    expect(keyIdOf(a)).to.equal(keyIdOf(b));
    expect(a.subarray(5, 17).equals(b.subarray(5, 17))).to.equal(false);
    expect(a.equals(b)).to.equal(false);
  });

  it('binds the ciphertext to the session ID: under another ID it does not open, with one debug line', async () => {
    const keys = ring([K1]);
    const sealed = keys.seal('sid-a', 'Data', fields);
    let opened: unknown = 'not called';
    const lines = await debugLines(() => (opened = keys.open('sid-b', 'Data', sealed)));
    expect(opened).to.equal(null);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/reads as missing: it fails authentication/);
    for (const secret of ['sid-a', 'sid-b', 'MARKER', K1]) expect(lines[0]).not.to.include(secret);
  });

  it('binds the ciphertext to its field: a sealed Data does not open as the Cookie, nor the reverse', async () => {
    const keys = ring([K1]);
    const data = keys.seal('sid', 'Data', fields);
    const cookie = sealedCookie(keys, 'sid', { path: '/' });
    await debugLines(() => {
      expect(keys.open('sid', 'Cookie', data)).to.equal(null);
      expect(keys.open('sid', 'Data', cookie)).to.equal(null);
      expect(readableFields(keys, 'sid', { Data: new BSON.Binary(cookie) })).to.equal(null);
    });
    expect(keys.open('sid', 'Cookie', cookie)).to.deep.equal({ cookie: { path: '/' } });
  });

  it('reads the cookie a touch sealed beside a sealed Data in place of its own; one that does not open makes the session missing', async () => {
    const keys = ring([K1]);
    const Data = new BSON.Binary(keys.seal('sid', 'Data', { Data: { cookie: { path: '/old' }, a: 1 }, FilterVersion: 0 }));
    const Cookie = new BSON.Binary(sealedCookie(keys, 'sid', { path: '/new' }));
    expect(readableFields(keys, 'sid', { Data, Cookie })).to.deep.equal({ Data: { cookie: { path: '/new' }, a: 1 }, FilterVersion: 0 });
    const other = new BSON.Binary(sealedCookie(keys, 'other', { path: '/new' }));
    const lines = await debugLines(() => expect(readableFields(keys, 'sid', { Data, Cookie: other })).to.equal(null));
    expect(lines).to.have.length(1);
    // Beside a plaintext Data (read where a null allows it), a Cookie means nothing.
    expect(readableFields(ring([K1, null]), 'sid', { Data: { a: 1 }, Cookie })).to.deep.equal({ Data: { a: 1 }, Cookie });
    // Beside a sealed Data, a Cookie that is not sealed means nothing either: Data's own cookie stands.
    const forged = { Data, Cookie: { cookie: { path: '/forged' }, admin: true }, FilterVersion: 3 };
    expect(readableFields(keys, 'sid', forged)).to.deep.equal({ Data: { cookie: { path: '/old' }, a: 1 }, FilterVersion: 0 });
  });

  it('refuses a ciphertext with any byte changed (key id, IV, tag, body), and one cut short', async () => {
    const keys = ring([K1]);
    const sealed = keys.seal('sid', 'Data', fields);
    const lines = await debugLines(() => {
      for (const at of [0, 2, 8, 20, 40, sealed.length - 1]) {
        const tampered = Buffer.from(sealed);
        tampered[at]! ^= 0x01;
        expect(keys.open('sid', 'Data', tampered), `byte ${at}`).to.equal(null);
      }
      expect(keys.open('sid', 'Data', sealed.subarray(0, 20))).to.equal(null);
      expect(keys.open('sid', 'Data', sealed)).not.to.equal(null);
    });
    expect(lines).to.have.length(7);
    expect(lines[0]).to.match(/format is not one this version reads/);
    expect(lines[1]).to.match(/key id [0-9a-f]{8} is not among EncryptionKeys/);
  });

  it('opens the very bytes it last sealed or opened for a session without decrypting again; other bytes, or another ID, are decrypted', () => {
    const keys = ring([K1]);
    const decipher = sinon.spy(crypto, 'createDecipheriv');
    try {
      const sealed = keys.seal('sid', 'Data', fields);
      expect(keys.open('sid', 'Data', Buffer.from(sealed))).to.deep.equal(keys.open('sid', 'Data', sealed));
      expect(decipher.callCount, 'after a seal').to.equal(0);
      const older = keys.seal('other', 'Data', fields);
      keys.seal('other', 'Data', { ...fields, FilterVersion: 3 }); // the entry for 'other' moves on
      expect(keys.open('other', 'Data', older)).not.to.equal(null);
      expect(decipher.callCount, 'bytes other than the last').to.equal(1);
      expect(keys.open('other', 'Data', older)).not.to.equal(null);
      expect(decipher.callCount, 'the bytes just opened').to.equal(1);
      expect(keys.open('third', 'Data', sealed), 'copied under another ID').to.equal(null);
      expect(decipher.callCount).to.equal(2);
    } finally {
      decipher.restore();
    }
  });

  it('rotates: the first key seals, every key opens; an unknown key id reads as missing', async () => {
    const old = ring([K1]);
    const rotated = ring([K2, K1]);
    const sealedOld = old.seal('sid', 'Data', fields);
    expect(rotated.open('sid', 'Data', sealedOld)).to.deep.equal(old.open('sid', 'Data', sealedOld));
    const sealedNew = rotated.seal('sid', 'Data', fields);
    expect(keyIdOf(sealedNew)).not.to.equal(keyIdOf(sealedOld));
    expect(keyIdOf(sealedNew)).to.equal(keyIdOf(ring([K2, K3]).seal('x', 'Data', fields)));
    let opened: unknown;
    const lines = await debugLines(() => (opened = old.open('sid', 'Data', sealedNew)));
    expect(opened).to.equal(null);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include(`key id ${keyIdOf(sealedNew)} is not among EncryptionKeys`);
  });

  it('tells whether a Data is in the form a keyring writes: sealed by its first key, or plaintext after a null', () => {
    const k1 = ring([K1]).seal('sid', 'Data', fields);
    const k2 = ring([K2]).seal('sid', 'Data', fields);
    expect(ring([K1, K2]).writes(k1)).to.equal(true);
    expect(ring([K2, K1]).writes(k1)).to.equal(false);
    expect(ring([K2, K1]).writes(k2)).to.equal(true);
    expect(ring([K1]).writes(undefined)).to.equal(false);
    expect(ring([null, K1]).writes(undefined)).to.equal(true);
    expect(ring([null, K1]).writes(k1)).to.equal(false);
  });

  it('a leading null writes plaintext while the keys after it still open what they sealed', () => {
    const off = ring([null, K1]);
    expect(off.encrypts).to.equal(false);
    expect(writtenFields(off, 'sid', fields)).to.deep.equal({ set: fields, unset: { Cookie: '' }, sealed: false });
    expect(writtenFields(undefined, 'sid', fields)).to.deep.equal({ set: fields, unset: {}, sealed: false });
    expect(off.open('sid', 'Data', ring([K1]).seal('sid', 'Data', fields))).not.to.equal(null);
    const on = writtenFields(ring([K1]), 'sid', fields);
    expect(on.sealed).to.equal(true);
    expect(on.unset).to.deep.equal({ FilterVersion: '', Cookie: '' });
    expect(Object.keys(on.set)).to.deep.equal(['Data']);
  });

  it('reads plaintext Data as it is only without keys or with a null among them; without a null, as missing with one debug line', async () => {
    const plain = { Data: { a: 1 }, FilterVersion: 0 };
    expect(readableFields(undefined, 'sid', plain)).to.equal(plain);
    expect(readableFields(ring([K1, null]), 'sid', plain)).to.equal(plain);
    expect(readableFields(ring([K1, null, K2]), 'sid', plain)).to.equal(plain);
    expect(readableFields(ring([null, K1]), 'sid', plain)).to.equal(plain);
    let strict: unknown = 'unread';
    const refused = await debugLines(() => (strict = readableFields(ring([K1, K2]), 'sid', { ...plain, Cookie: { cookie: {} } })));
    expect(strict).to.equal(null);
    expect(refused).to.have.length(1);
    expect(refused[0]).to.match(/stored in plaintext, which EncryptionKeys without a null do not read/);
    expect(refused[0]).not.to.include('sid');
    const sealed = { Data: new BSON.Binary(ring([K1]).seal('sid', 'Data', fields)) };
    expect(readableFields(ring([K1]), 'sid', sealed)).to.deep.include({ FilterVersion: 0 });
    let read: unknown;
    const lines = await debugLines(() => (read = readableFields(undefined, 'sid', sealed)));
    expect(read).to.equal(null);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/no EncryptionKeys are configured/);
  });

  describe('validates the option strictly, never quoting a secret', () => {
    const bad: Array<[string, unknown, RegExp]> = [
      ['a single secret, not in an array', K1, /must be an array of secrets.*got a string of 32 characters/],
      ['an object', { key: K1 }, /must be an array/],
      ['null', null, /must be an array.*got null/],
      ['an empty array', [], /at least one secret/],
      ['only null', [null], /at least one secret/],
      [
        'a short string',
        [K1, 'short but secret'],
        /EncryptionKeys\[1\] must be a string of at least 32 characters.*got a string of 16 characters/,
      ],
      ['a short Buffer', [Buffer.alloc(31, 7)], /EncryptionKeys\[0\].*got 31 bytes/],
      ['a number', [12345678], /EncryptionKeys\[0\].*got number/],
      // eslint-disable-next-line no-sparse-arrays
      ['a hole', [K1, , K3], /EncryptionKeys\[1\] must be a string.*got undefined/],
      ['a second null', [null, K1, null], /EncryptionKeys\[2\] is a second null/],
      ['two nulls after the first key', [K1, null, null], /EncryptionKeys\[2\] is a second null/],
      ['null and nothing else', [null, null], /EncryptionKeys\[1\] is a second null/],
      ['a short secret after a null', [K1, null, 'short but secret'], /EncryptionKeys\[2\] must be a string of at least 32/],
      ['a duplicate', [K1, K3, K1], /EncryptionKeys\[2\] repeats an earlier secret/],
      ['a duplicate as string and Buffer', [K1, Buffer.from(K1)], /EncryptionKeys\[1\] repeats/],
      ['a duplicate after null', [null, K3, K3], /EncryptionKeys\[2\] repeats/],
    ];
    for (const [what, value, message] of bad) {
      it(`refuses ${what}`, () => {
        let error: unknown;
        try {
          readEncryptionKeys(value);
        } catch (err) {
          error = err;
        }
        expect(error).to.be.instanceOf(Error);
        expect((error as Error).message).to.match(message);
        for (const secret of [K1, K3, 'short but secret']) expect((error as Error).message).not.to.include(secret);
      });
    }

    it('accepts strings and Buffers of 32 or more, and no option at all', () => {
      expect(readEncryptionKeys(undefined)).to.equal(undefined);
      expect(ring([K1, K2, Buffer.alloc(32, 1)]).encrypts).to.equal(true);
      expect(ring(['x'.repeat(32)]).encrypts).to.equal(true);
    });

    it('reads one null as where plaintext stands: first, written and read; after the first key, read only; none, never', () => {
      const modes = (keys: unknown[]) => ({ encrypts: ring(keys).encrypts, readsPlaintext: ring(keys).readsPlaintext });
      expect(modes([K1, K2])).to.deep.equal({ encrypts: true, readsPlaintext: false });
      expect(modes([K1, null])).to.deep.equal({ encrypts: true, readsPlaintext: true });
      expect(modes([null, K1])).to.deep.equal({ encrypts: false, readsPlaintext: true });
      // Wherever it stands after the first key: the keys around it seal and open as without it.
      const middle = ring([K1, null, K2]);
      expect(modes([K1, null, K2])).to.deep.equal({ encrypts: true, readsPlaintext: true });
      expect(keyIdOf(middle.seal('sid', 'Data', fields))).to.equal(keyIdOf(ring([K1]).seal('sid', 'Data', fields)));
      expect(middle.open('sid', 'Data', ring([K2]).seal('sid', 'Data', fields))).not.to.equal(null);
    });
  });

  it('keeps no key material where inspection or JSON can reach it', () => {
    const keys = ring([K1]);
    const shown = JSON.stringify(keys) + inspect(keys, { depth: 5, showHidden: true });
    expect(shown).not.to.include(K1);
    expect(shown).not.to.match(/<Buffer/);
  });
});
