import { expect } from 'chai';
import type { SessionData } from 'express-session';
import { Binary, MongoClient, ObjectId, type CommandStartedEvent, type Db, type Document } from 'mongodb';
import { debugLines } from '../support/debug-lines';
import { Browser, startApp } from '../support/http';
import { freshDb, serverUri } from '../support/server';
import { openStore, sessionWith, sleep, type Options } from '../support/store';

const K1 = 'k1: a secret of thirty-two chars';
const K2 = Buffer.from('a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf', 'hex');
const MARKER = 'PLAINTEXT-MARKER-7f3a';

type Raw = Document & { Data: unknown };

const raw = (db: Db, id: string): Promise<Raw | null> => db.collection<Raw>('Sessions').findOne({ SessionID: id });

/** The stored bytes of a sealed Data, or undefined when Data is plaintext. */
function sealed(doc: Raw | null): Buffer | undefined {
  const data = doc?.Data;
  return data instanceof Binary ? Buffer.from(data.buffer.subarray(0, data.position)) : undefined;
}
const keyIdOf = (doc: Raw | null): string => sealed(doc)!.subarray(1, 5).toString('hex');

/** A session with a bit of everything the plaintext path round-trips. */
function variedSession(): SessionData {
  return sessionWith({
    user: { name: MARKER, roles: ['admin', 'ops'], since: new Date('2020-02-02T02:02:02.222Z') },
    nested: { deep: { deeper: { list: [1, 'two', { three: 3 }, null] } } },
    flag: true,
    count: 42,
    ratio: -0.5,
    empty: {},
    gone: undefined,
    bytes: Buffer.from('raw bytes'),
    id: new ObjectId('64b7f0c2a1b2c3d4e5f60718'),
  });
}

describe('EncryptionKeys: sessions encrypted at rest', () => {
  it('stores Data as an opaque binary with no plaintext in it; the metadata stays queryable', async () => {
    const db = freshDb();
    const store = await openStore(db, { EncryptionKeys: [K1], TimeToLive: 600, DeleteFlags: true });
    const session = sessionWith({ cookie: { path: '/', maxAge: 60_000, expires: new Date(Date.now() + 60_000) }, secret: MARKER });
    await store.set('sid-plain-check', session as never);
    const doc = await raw(db, 'sid-plain-check');
    expect(sealed(doc)).to.be.instanceOf(Buffer);
    expect(sealed(doc)![0]).to.equal(1);
    expect(JSON.stringify(doc)).not.to.include('MARKER');
    expect(Buffer.from(JSON.stringify(doc)).includes(MARKER)).to.equal(false);
    expect(sealed(doc)!.includes(Buffer.from('PLAINTEXT'))).to.equal(false);
    expect(doc).to.include({ _id: 'sid-plain-check', SessionID: 'sid-plain-check' });
    expect(doc).not.to.have.property('FilterVersion');
    for (const field of ['Expires', 'LastAccessed', 'Created']) expect(doc![field], field).to.be.instanceOf(Date);
    // Queries on metadata work as before: liveness, counting, flags.
    expect(await store.length()).to.equal(1);
    await store.destroy('sid-plain-check');
    expect(await db.collection('Sessions').countDocuments({ Delete: true })).to.equal(1);
    expect(await store.get('sid-plain-check')).to.equal(null);
  });

  for (const Filter of [false, true]) {
    it(`round-trips a varied session exactly as the plaintext path does (Filter ${Filter})`, async () => {
      const db = freshDb();
      const plain = await openStore(db, { Filter, CollectionName: 'Plain' });
      const encrypted = await openStore(db, { Filter, EncryptionKeys: [K1] });
      const session = { ...variedSession(), ...(Filter ? { 'dotted.name': { $dollar: 1 } } : {}) };
      await plain.set('sid', session as never);
      await encrypted.set('sid', session as never);
      const expected = await plain.get('sid');
      expect(expected).to.have.nested.property('user.name', MARKER);
      expect(await encrypted.get('sid')).to.deep.equal(expected);
      expect(await encrypted.all()).to.deep.equal(await plain.all());
    });
  }

  it('refuses in both modes what the plaintext path refuses, before anything is sent', async () => {
    const store = await openStore(freshDb(), { EncryptionKeys: [K1] });
    const refused: object[] = [{ n: NaN }, { 'a.b': 1 }, { d: new Date(NaN) }, { m: new Map() }];
    for (const extra of refused) {
      const err = await store.set('sid', sessionWith(extra) as never).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(Object.keys(extra))).to.be.instanceOf(Error);
    }
    expect(await store.get('sid')).to.equal(null);
  });

  it('rotates keys: [k2, k1] reads k1 sessions and re-encrypts each with k2 on its next write', async () => {
    const db = freshDb();
    const old = await openStore(db, { EncryptionKeys: [K1] });
    await old.set('a', sessionWith({ n: 1 }));
    await old.set('b', sessionWith({ n: 2 }));
    const k1Id = keyIdOf(await raw(db, 'a'));
    const rotated = await openStore(db, { EncryptionKeys: [K2, K1] });
    expect(await rotated.get('a')).to.deep.include({ n: 1 });
    expect(keyIdOf(await raw(db, 'a'))).to.equal(k1Id);
    await rotated.set('a', sessionWith({ n: 3 }));
    const k2Id = keyIdOf(await raw(db, 'a'));
    expect(k2Id).not.to.equal(k1Id);
    expect(keyIdOf(await raw(db, 'b'))).to.equal(k1Id);
    expect(await rotated.get('a')).to.deep.include({ n: 3 });
    expect(await rotated.get('b')).to.deep.include({ n: 2 });
    expect((await rotated.all()).map((s) => s.id).sort()).to.deep.equal(['a', 'b']);
    // A touch is a write too: a session read under k1 is written whole under k2, not just its cookie.
    await old.set('c', sessionWith({ n: 4 }));
    const c = (await rotated.get('c'))!;
    await rotated.touch('c', { ...c, cookie: { ...c.cookie, expires: new Date(Date.now() + 60_000) } } as never);
    expect(keyIdOf(await raw(db, 'c'))).to.equal(k2Id);
    expect(await raw(db, 'c')).not.to.have.property('Cookie');
    const c2 = (await rotated.get('c'))!;
    await rotated.touch('c', { ...c2, cookie: { ...c2.cookie, expires: new Date(Date.now() + 90_000) } } as never);
    expect((await raw(db, 'c'))!.Cookie).to.be.instanceOf(Binary);
    expect(await rotated.get('c')).to.deep.include({ n: 4 });
    await rotated.destroy('c');
    // Once k1 is dropped, what it alone sealed reads as missing, with a line naming its key id.
    const k2Only = await openStore(db, { EncryptionKeys: [K2] });
    let b: unknown = 'unread';
    const lines = await debugLines(async () => (b = await k2Only.get('b')));
    expect(b).to.equal(null);
    expect(lines.filter((line) => line.includes(`key id ${k1Id} is not among EncryptionKeys`))).to.have.length(1);
    expect(await k2Only.get('a')).to.deep.include({ n: 3 });
    expect((await k2Only.all()).map((s) => s.id)).to.deep.equal(['a']);
  });

  it('a document copied under another session ID does not decrypt: missing, one debug line, no crash', async () => {
    const db = freshDb();
    const store = await openStore(db, { EncryptionKeys: [K1] });
    await store.set('victim', sessionWith({ secret: MARKER }));
    const { _id: _ignored, ...copy } = (await raw(db, 'victim'))!;
    await db.collection<Raw>('Sessions').insertOne({ ...copy, _id: 'attacker', SessionID: 'attacker' } as never);
    const reader = await openStore(db, { EncryptionKeys: [K1] });
    let got: unknown = 'unread';
    let listed: Array<{ id: string }> = [];
    const lines = await debugLines(async () => {
      got = await reader.get('attacker');
      listed = await reader.all();
    });
    expect(got).to.equal(null);
    expect(listed.map((s) => s.id)).to.deep.equal(['victim']);
    const failures = lines.filter((line) => /reads as missing: it fails authentication/.test(line));
    expect(failures).to.have.length(2);
    for (const line of lines) for (const secret of [MARKER, 'attacker', 'victim', K1]) expect(line).not.to.include(secret);
    expect(await reader.get('victim')).to.deep.include({ secret: MARKER });
  });

  it('a tampered byte makes the session read as missing, and the next set replaces it', async () => {
    const db = freshDb();
    const store = await openStore(db, { EncryptionKeys: [K1] });
    await store.set('sid', sessionWith({ a: 1 }));
    const bytes = sealed(await raw(db, 'sid'))!;
    bytes[bytes.length - 3]! ^= 0x20;
    await db.collection<Raw>('Sessions').updateOne({ _id: 'sid' } as never, { $set: { Data: new Binary(bytes) } });
    let got: unknown = 'unread';
    const lines = await debugLines(async () => (got = await store.get('sid')));
    expect(got).to.equal(null);
    expect(lines.some((line) => /fails authentication/.test(line))).to.equal(true);
    await store.set('sid', sessionWith({ a: 2 }));
    expect(await store.get('sid')).to.deep.include({ a: 2 });
  });

  it('without EncryptionKeys, an encrypted session reads as missing with a debug line saying keys are needed', async () => {
    const db = freshDb();
    await (await openStore(db, { EncryptionKeys: [K1] })).set('sid', sessionWith({ a: 1 }));
    const plain = await openStore(db);
    let got: unknown = 'unread';
    let listed: unknown[] = ['unread'];
    const lines = await debugLines(async () => {
      got = await plain.get('sid');
      listed = await plain.all();
    });
    expect(got).to.equal(null);
    expect(listed).to.deep.equal([]);
    expect(lines.filter((line) => /no EncryptionKeys are configured to decrypt it/.test(line))).to.have.length(2);
  });

  it('[KEY] never serves plaintext Data: a plaintext session reads as missing, with one debug line, and is not listed', async () => {
    const db = freshDb();
    await (await openStore(db)).set('plain', sessionWith({ role: 'admin' }));
    await (await openStore(db, { EncryptionKeys: [K1] })).set('sealed', sessionWith({ role: 'user' }));
    for (const EncryptionKeys of [[K1], [K2, K1]]) {
      const strict = await openStore(db, { EncryptionKeys });
      let got: unknown = 'unread';
      const lines = await debugLines(async () => (got = await strict.get('plain')));
      expect(got).to.equal(null);
      // This get's lines only: a store of an earlier test may log while the get is in flight.
      const ours = lines.filter((line) => line.includes('reads as missing'));
      expect(ours).to.have.length(1);
      expect(ours[0]).to.match(/reads as missing: it is stored in plaintext, which EncryptionKeys without a null do not read/);
      expect(ours[0]).not.to.include('plain ');
      expect((await strict.all()).map((s) => s.id)).to.deep.equal(['sealed']);
      expect(await strict.get('sealed')).to.deep.include({ role: 'user' });
    }
    // The document is left as it was: a migration ([KEY, null]) still reads it.
    expect(await (await openStore(db, { EncryptionKeys: [K1, null] })).get('plain')).to.deep.include({ role: 'admin' });
  });

  it('turning it on: [k1, null] serves plaintext sessions and encrypts each on its next write (set or touch); then [k1] reads only sealed ones', async () => {
    const db = freshDb();
    const before = await openStore(db, { Filter: true });
    await before.set('by-set', sessionWith({ 'a.b': MARKER }));
    await before.set('by-touch', sessionWith({ keep: MARKER }));
    await before.set('untouched', sessionWith({ keep: 'old' }));
    // The README's query for what is left in plaintext.
    const plaintextLeft = (): Promise<number> => db.collection('Sessions').countDocuments({ Data: { $type: 'object' } });
    expect(await plaintextLeft()).to.equal(3);
    const after = await openStore(db, { Filter: true, EncryptionKeys: [K1, null] });
    expect(await after.get('by-set')).to.deep.include({ 'a.b': MARKER });
    expect((await raw(db, 'by-set'))!.Data).to.deep.include({ 'adot-b': MARKER });
    await after.set('by-set', sessionWith({ 'a.b': 'changed' }));
    const touched = (await after.get('by-touch'))!;
    await after.touch('by-touch', { ...touched, cookie: { ...touched.cookie, expires: new Date(Date.now() + 60_000) } } as never);
    for (const id of ['by-set', 'by-touch']) {
      const doc = await raw(db, id);
      expect(sealed(doc), id).to.be.instanceOf(Buffer);
      expect(doc).not.to.have.property('FilterVersion');
    }
    expect(sealed(await raw(db, 'untouched'))).to.equal(undefined);
    expect(await plaintextLeft()).to.equal(1);
    expect(await after.get('by-set')).to.deep.include({ 'a.b': 'changed' });
    expect(await after.get('by-touch')).to.deep.include({ keep: MARKER });
    expect((await after.all()).map((s) => s.id).sort()).to.deep.equal(['by-set', 'by-touch', 'untouched']);
    // Once the null goes, what is left in plaintext is logged out; the sealed sessions stay.
    const done = await openStore(db, { Filter: true, EncryptionKeys: [K1] });
    expect(await done.get('untouched')).to.equal(null);
    expect((await done.all()).map((s) => s.id).sort()).to.deep.equal(['by-set', 'by-touch']);
    expect(await done.get('by-touch')).to.deep.include({ keep: MARKER });
  });

  it('turning it off: [null, k1] serves encrypted sessions and writes each back as plaintext', async () => {
    const db = freshDb();
    const on = await openStore(db, { EncryptionKeys: [K1] });
    await on.set('by-set', sessionWith({ a: 1 }));
    await on.set('by-touch', sessionWith({ b: 2 }));
    // by-set also holds a cookie a touch sealed beside Data: the plaintext write removes it.
    const onRead = (await on.get('by-set'))!;
    await on.touch('by-set', { ...onRead, cookie: { ...onRead.cookie, expires: new Date(Date.now() + 60_000) } } as never);
    expect((await raw(db, 'by-set'))!.Cookie).to.be.instanceOf(Binary);
    // docs/encryption.md's query for what is left encrypted.
    const encryptedLeft = (): Promise<number> => db.collection('Sessions').countDocuments({ Data: { $type: 'binData' } });
    expect(await encryptedLeft()).to.equal(2);
    const off = await openStore(db, { EncryptionKeys: [null, K1] });
    expect(await off.get('by-set')).to.deep.include({ a: 1 });
    await off.set('by-set', sessionWith({ a: 'plain' }));
    const read = (await off.get('by-touch'))!;
    await off.touch('by-touch', { ...read, cookie: { ...read.cookie, expires: new Date(Date.now() + 60_000) } } as never);
    expect((await raw(db, 'by-set'))!.Data).to.deep.include({ a: 'plain' });
    expect(await raw(db, 'by-set')).to.include({ FilterVersion: 0 });
    expect(await raw(db, 'by-set')).not.to.have.property('Cookie');
    expect((await raw(db, 'by-touch'))!.Data).to.deep.include({ b: 2 });
    // Once every session is plaintext, the keys can go.
    expect(await encryptedLeft()).to.equal(0);
    const none = await openStore(db);
    expect(await none.get('by-set')).to.deep.include({ a: 'plain' });
    expect(await none.get('by-touch')).to.deep.include({ b: 2 });
  });

  it('touch seals only the renewed cookie beside a sealed Data, in one update; set folds it back; without a session only the idle clock', async () => {
    const client = new MongoClient(serverUri(), { monitorCommands: true, maxPoolSize: 5 });
    const sent: CommandStartedEvent[] = [];
    client.on('commandStarted', (event: CommandStartedEvent) => sent.push(event));
    await client.connect();
    try {
      const db = client.db(`esm_test_crypto_${process.pid}_${Date.now().toString(36)}`);
      const store = await openStore(db, { EncryptionKeys: [K1], TimeToLive: 600 });
      await store.set('sid', sessionWith({ a: MARKER }));
      const first = sealed(await raw(db, 'sid'))!;
      const session = (await store.get('sid'))!;
      const expires = new Date(Date.now() + 120_000);
      await sleep(1_100);
      sent.length = 0;
      await store.touch('sid', { ...session, cookie: { ...session.cookie, expires } } as never);
      expect(sent.map((e) => e.commandName)).to.deep.equal(['update']);
      const doc = await raw(db, 'sid');
      expect(sealed(doc)!.equals(first)).to.equal(true);
      expect(doc!.Cookie).to.be.instanceOf(Binary);
      expect(Buffer.from(JSON.stringify(doc)).includes('expires')).to.equal(false);
      expect((doc!.Expires as Date).getTime()).to.equal(expires.getTime());
      const back = (await store.get('sid'))!;
      expect(back).to.deep.include({ a: MARKER });
      expect(new Date(back.cookie.expires as unknown as Date).getTime()).to.equal(expires.getTime());
      // Another process reads the renewed cookie too; its set folds it into Data and drops Cookie.
      const other = await openStore(db, { EncryptionKeys: [K1], TimeToLive: 600 });
      const seen = (await other.get('sid'))!;
      expect(new Date(seen.cookie.expires as unknown as Date).getTime()).to.equal(expires.getTime());
      await other.set('sid', { ...seen, b: 2 } as never);
      const folded = await raw(db, 'sid');
      expect(folded).not.to.have.property('Cookie');
      expect(new Date((await store.get('sid'))!.cookie.expires as unknown as Date).getTime()).to.equal(expires.getTime());
      await sleep(1_100);
      const beforeBare = await raw(db, 'sid');
      await store.touch('sid');
      const bare = await raw(db, 'sid');
      expect(sealed(bare)!.equals(sealed(beforeBare)!)).to.equal(true);
      expect(bare).not.to.have.property('Cookie');
      expect((bare!.LastAccessed as Date).getTime()).to.be.greaterThan((beforeBare!.LastAccessed as Date).getTime());
      // A touch of a session this process has not read writes it whole, in the form it writes.
      const stranger = await openStore(db, { EncryptionKeys: [K1], TimeToLive: 600 });
      await stranger.touch('sid', { ...seen, b: 2, cookie: { ...seen.cookie, expires } } as never);
      expect(sealed(await raw(db, 'sid'))!.equals(sealed(bare)!)).to.equal(false);
      expect(await raw(db, 'sid')).not.to.have.property('Cookie');
      expect(await store.get('sid')).to.deep.include({ a: MARKER, b: 2 });
      await db.dropDatabase();
    } finally {
      await client.close();
    }
  });

  it('through express-session over HTTP with a rolling cookie: touch renews the cookie and keeps the encrypted session', async () => {
    const db = freshDb();
    const store = await openStore(db, { EncryptionKeys: [K1] });
    const app = await startApp(store, { rolling: true, cookie: { maxAge: 60_000 } });
    try {
      const browser = new Browser(app.url);
      await browser.get('/set?a=' + MARKER);
      const id = browser.sessionId!;
      const first = await raw(db, id);
      await sleep(50);
      const { body } = await browser.get<{ values: Record<string, string> }>('/get');
      expect(body.values).to.deep.equal({ a: MARKER });
      const second = await raw(db, id);
      expect(sealed(second)!.equals(sealed(first)!)).to.equal(true);
      expect(second!.Cookie).to.be.instanceOf(Binary);
      expect((second!.Expires as Date).getTime()).to.be.greaterThan((first!.Expires as Date).getTime());
      expect(Buffer.from(JSON.stringify(second)).includes(MARKER)).to.equal(false);
      const stored = (await store.get(id))!;
      expect(new Date(stored.cookie.expires as unknown as Date).getTime()).to.equal((second!.Expires as Date).getTime());
      expect((await browser.get<{ values: Record<string, string> }>('/get')).body.values).to.deep.equal({ a: MARKER });
    } finally {
      await app.close();
    }
  });

  it('through express-session: a read-only request that ends after another saved a change does not undo it', async () => {
    for (const EncryptionKeys of [undefined, [K1]]) {
      const store = await openStore(freshDb(), { EncryptionKeys });
      const app = await startApp(store);
      try {
        const browser = new Browser(app.url);
        await browser.get('/set?a=1');
        // The slow request holds the session as it was; its touch comes after the other's set.
        const slow = browser.get('/slow?ms=400');
        await sleep(100);
        await browser.get('/set?b=2');
        await slow;
        const { body } = await browser.get<{ values: Record<string, string> }>('/get');
        expect(body.values, `EncryptionKeys ${String(EncryptionKeys !== undefined)}`).to.deep.equal({ a: '1', b: '2' });
      } finally {
        await app.close();
      }
    }
  });

  it('an encrypted set of an existing session takes the plain update path, on FerretDB v1 too, and a rename lands', async function () {
    const client = new MongoClient(serverUri(), { monitorCommands: true, maxPoolSize: 5 });
    const sent: string[] = [];
    client.on('commandStarted', (event: CommandStartedEvent) => sent.push(event.commandName));
    await client.connect();
    try {
      const db = client.db(`esm_test_crypto_rn_${process.pid}_${Date.now().toString(36)}`);
      const store = await openStore(db, { EncryptionKeys: [K1] });
      await store.set('sid', sessionWith({ pendingMfa: true }));
      sent.length = 0;
      await store.set('sid', sessionWith({ mfaVerified: true }));
      expect(sent).to.deep.equal(['update']);
      const fresh = await openStore(db, { EncryptionKeys: [K1] });
      const back = (await fresh.get('sid'))!;
      expect(back).to.have.property('mfaVerified', true);
      expect(back).not.to.have.property('pendingMfa');
      // The same change without encryption: one update too (on FerretDB v1 in the form of lib/writes/renamed-set.ts).
      const plain = await openStore(db, { CollectionName: 'Plain' });
      await plain.set('sid', sessionWith({ pendingMfa: true }));
      sent.length = 0;
      await plain.set('sid', sessionWith({ mfaVerified: true }));
      expect(sent).to.deep.equal(['update']);
      expect(await plain.get('sid')).to.deep.equal(sessionWith({ mfaVerified: true }));
      await db.dropDatabase();
    } finally {
      await client.close();
    }
  });

  describe('a database writer without the key, against an app over HTTP', () => {
    type Values = { values: Record<string, string> };
    /** The plaintext session a writer without the key can write: express-session's shape, role admin. */
    const forged = (): Document => ({
      cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000), httpOnly: true, path: '/' },
      values: { role: 'admin' },
    });
    const sessions = (db: Db) => db.collection<Raw>('Sessions');

    /** Runs `attack` on a signed-in browser's session under `EncryptionKeys`; what the app then sees. */
    async function attacked(EncryptionKeys: Options['EncryptionKeys'], attack: (db: Db, id: string, browser: Browser) => Promise<void>) {
      const db = freshDb();
      const app = await startApp(await openStore(db, { EncryptionKeys }));
      try {
        const browser = new Browser(app.url);
        await browser.get('/set?role=user');
        await attack(db, browser.sessionId!, browser);
        return (await browser.get<Values>('/get')).body.values;
      } finally {
        await app.close();
      }
    }

    const rewrite = async (db: Db, id: string): Promise<void> => {
      await sessions(db).updateOne({ _id: id } as never, { $set: { Data: forged(), FilterVersion: 0 }, $unset: { Cookie: '' } });
    };
    // After a logout the browser still holds its signed cookie: the writer puts a session under it.
    const insertAfterLogout = (layout: '2.x' | '1.x') => async (db: Db, id: string, browser: Browser) => {
      expect((await browser.get<{ error: null }>('/destroy')).body.error).to.equal(null);
      const key = layout === '2.x' ? { _id: id } : {};
      await sessions(db).insertOne({ ...key, SessionID: id, Data: forged(), FilterVersion: 0 } as never);
    };

    it('[KEY]: a session rewritten in plaintext with role admin is not served; the app sees a new, empty session', async () => {
      expect(await attacked([K1], rewrite)).to.deep.equal({});
    });

    for (const layout of ['2.x', '1.x'] as const) {
      it(`[KEY]: a plaintext session with role admin inserted (${layout} layout) under a cookie the browser holds is not served`, async () => {
        expect(await attacked([K1], insertAfterLogout(layout))).to.deep.equal({});
      });
    }

    it('[KEY]: plaintext fields beside the sealed Data (Cookie, FilterVersion) change nothing the app sees', async () => {
      const values = await attacked([K1], async (db, id) => {
        await sessions(db).updateOne({ _id: id } as never, { $set: { Cookie: forged(), FilterVersion: 3, User: 'admin' } });
      });
      expect(values).to.deep.equal({ role: 'user' });
    });

    // What the README and SECURITY.md say a writer can still do while plaintext is read.
    for (const EncryptionKeys of [
      [K1, null],
      [null, K1],
    ]) {
      it(`[${EncryptionKeys.map((k) => (k ? 'KEY' : 'null')).join(', ')}] reads plaintext: the same rewrite and insert are served`, async () => {
        expect(await attacked(EncryptionKeys, rewrite)).to.deep.equal({ role: 'admin' });
        expect(await attacked(EncryptionKeys, insertAfterLogout('2.x'))).to.deep.equal({ role: 'admin' });
      });
    }
  });

  describe('refuses bad option values through the callback, never quoting a secret', () => {
    const cases: Array<[string, Options['EncryptionKeys'] | unknown, RegExp]> = [
      ['a bare string', K1, /EncryptionKeys must be an array/],
      ['an empty array', [], /at least one secret/],
      ['a short secret', ['too short, but secret'], /EncryptionKeys\[0\] must be a string of at least 32/],
      ['a duplicate', [K1, K1], /EncryptionKeys\[1\] repeats an earlier secret/],
      ['a second null', [K1, null, null], /EncryptionKeys\[2\] is a second null/],
      ['null alone', [null], /at least one secret besides null/],
    ];
    for (const [what, value, message] of cases) {
      it(what, async () => {
        const err = await openStore(freshDb(), { EncryptionKeys: value as never }).then(
          () => null,
          (e: unknown) => e as Error,
        );
        expect(err).to.be.instanceOf(Error);
        expect(err!.message).to.match(message);
        expect(err!.message).not.to.include(K1);
        expect(err!.message).not.to.include('too short, but secret');
      });
    }
  });
});
