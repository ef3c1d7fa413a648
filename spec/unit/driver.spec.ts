import { expect } from 'chai';
import path from 'node:path';
import { serverNames } from '../../lib/calls/connection-events';
import { adaptsOf, bsonOf, isDriver3Reply, modifiedDocument, returnAfter, type DriverExports } from '../../lib/driver/versions';
import { repairRead, sendable } from '../../lib/stored/driver-values';
import { resolveHandle } from '../../lib/calls/handle';
import { isTransient } from '../../lib/writes/retry';
import { SessionStoreServerError, sanitizeError } from '../../lib/calls/server-errors';

/*
 * The old drivers' differences, against the drivers themselves (installed as npm aliases):
 * the whole integration suite runs on them in the matrix (scripts/matrix.js); these run in
 * every `npm test`, on the code paths that only old drivers take.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (alias: string): DriverExports & Record<string, unknown> => require(alias) as DriverExports & Record<string, unknown>;
const dirOf = (alias: string): string => path.dirname(require.resolve(`${alias}/package.json`));
const bsonFor = (alias: string) => bsonOf(load(alias), dirOf(alias));
const ALL = { bigint: true, bytes: true, proto: true };

type ErrorClass = new (message: unknown) => Error;

describe('old drivers', () => {
  it('finds out what each driver’s bson needs: 3.x all three, 4.x BigInt only, 5 and later nothing', () => {
    expect(adaptsOf(bsonFor('mongodb-3.6'))).to.deep.equal(ALL);
    expect(adaptsOf(bsonFor('mongodb-3'))).to.deep.equal(ALL);
    expect(adaptsOf(bsonFor('mongodb-4.10'))).to.deep.equal({ bigint: true, bytes: false, proto: false });
    expect(adaptsOf(bsonFor('mongodb-4'))).to.deep.equal({ bigint: true, bytes: false, proto: false });
    for (const alias of ['mongodb-5.7', 'mongodb-6', 'mongodb']) {
      expect(adaptsOf(bsonFor(alias)), alias).to.deep.equal({ bigint: false, bytes: false, proto: false });
    }
  });

  it("encodes with driver 3.x's bson 1.x, whose own deserialize misreads a Uint8Array that is not a Buffer", () => {
    const bson = bsonFor('mongodb-3');
    const bytes = bson.serialize({ a: 'b', n: 1 });
    expect(bson.deserialize(new Uint8Array(bytes))).to.deep.equal({ a: 'b', n: 1 });
    expect(bson.calculateObjectSize({ a: 'b' })).to.equal(bytes.byteLength - 7);
  });

  it('hands an old bson a BigInt as a Long and a Uint8Array as a Buffer, copying only the path to them', () => {
    const bson = bsonFor('mongodb-3');
    const plain = { a: { b: [1, 2] } };
    const session = { keep: plain, n: 2n ** 60n, bytes: new Uint8Array([1, 2, 3]), deep: [{ big: -5n }], buf: Buffer.from([9]) };
    const sent = sendable(session, ALL);
    expect(sent).not.to.equal(session);
    expect(sent.keep).to.equal(plain);
    expect(sent.buf).to.equal(session.buf);
    expect(session.n).to.equal(2n ** 60n);
    expect(session.bytes).to.be.instanceOf(Uint8Array).and.not.satisfy(Buffer.isBuffer);
    const back = bson.deserialize(bson.serialize(sent as never)) as Record<string, unknown>;
    expect(String(back.n)).to.equal(String(2n ** 60n));
    expect((back.deep as Array<{ big: unknown }>)[0]!.big).to.equal(-5);
    expect((back.bytes as { _bsontype: string; value(): Buffer })._bsontype).to.equal('Binary');
    expect([...(back.bytes as { value(asRaw: boolean): Buffer }).value(true)]).to.deep.equal([1, 2, 3]);
    // Without the conversion, bson 1.x refuses the BigInt and stores the bytes as an object of numbers.
    expect(() => bson.serialize({ n: 1n })).to.throw(/BigInt/);
    expect(bson.deserialize(bson.serialize({ bytes: new Uint8Array([7]) })).bytes).to.deep.equal({ 0: 7 });
  });

  it('leaves a session untouched where the bson needs nothing, and keeps a __proto__ name as an own property in a copy', () => {
    const session = { n: 1n, bytes: new Uint8Array(1) };
    expect(sendable(session, { bigint: false, bytes: false, proto: false })).to.equal(session);
    expect(sendable({ nothing: [1, 'x'] }, ALL)).to.deep.equal({ nothing: [1, 'x'] });
    const hostile = JSON.parse('{"__proto__": {"n": 1}, "big": 1}') as Record<string, unknown>;
    hostile.big = 3n;
    const sent = sendable(hostile, ALL);
    expect(Object.getPrototypeOf(sent)).to.equal(Object.prototype);
    expect(Object.hasOwn(sent, '__proto__')).to.equal(true);
  });

  it('puts back the __proto__ names bson 1.x read into prototypes, at any depth, in arrays too', () => {
    const bson = bsonFor('mongodb-3');
    const stored = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "list": [{"__proto__": [1, 2]}], "constructor": {"prototype": {"p": 1}}, "none": {"__proto__": null}}',
    );
    const read = (): Record<string, unknown> => bson.deserialize(bson.serialize(stored)) as Record<string, unknown>;
    const raw = read();
    expect(Object.getPrototypeOf(raw)).to.deep.equal({ polluted: 'yes' });
    repairRead(raw, { bigint: false, bytes: false, proto: false });
    expect(Object.getPrototypeOf(raw)).to.deep.equal({ polluted: 'yes' });

    const data = read();
    repairRead(data, ALL);
    expect(Object.getPrototypeOf(data)).to.equal(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(data, '__proto__')?.value).to.deep.equal({ polluted: 'yes' });
    expect((data as { polluted?: unknown }).polluted).to.equal(undefined);
    const item = (data.list as object[])[0]!;
    expect(Object.getPrototypeOf(item)).to.equal(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(item, '__proto__')?.value).to.deep.equal([1, 2]);
    expect(Object.getOwnPropertyDescriptor(data.none, '__proto__')?.value).to.equal(null);
    expect(data.constructor).to.deep.equal({ prototype: { p: 1 } });
    expect(({} as { polluted?: unknown }).polluted).to.equal(undefined);
  });

  it("reads findOneAndUpdate's document out of the command reply drivers 3.x and 4.x resolve with", () => {
    const doc = { _id: 'a', SessionID: 'a', Data: {} };
    const reply = { value: doc, ok: 1, lastErrorObject: { n: 1 } };
    expect(modifiedDocument(reply)).to.equal(doc);
    expect(modifiedDocument({ value: null, ok: 1 })).to.equal(null);
    expect(modifiedDocument(doc)).to.equal(doc);
    expect(modifiedDocument(null)).to.equal(null);
  });

  it('asks for the written document as each driver understands it: returnOriginal before 3.6.7, returnDocument since', () => {
    expect(returnAfter('3.6.0')).to.deep.equal({ returnOriginal: false });
    expect(returnAfter('3.6.6')).to.deep.equal({ returnOriginal: false });
    for (const version of ['3.6.7', '3.7.4', '4.10.0', '5.7.0', '7.9.0', '7.0.0-beta.1']) {
      expect(returnAfter(version), version).to.deep.equal({ returnDocument: 'after' });
    }
  });

  it("takes driver 3.x's MongoError made from a server reply for a server error: withheld, retried when transient", () => {
    const { MongoError, MongoNetworkError } = load('mongodb-3') as unknown as { MongoError: ErrorClass; MongoNetworkError: ErrorClass };
    const reply = new MongoError({ message: 'E11000 dup key: { _id: "secret" }', code: 11000, ok: 0 });
    expect(isDriver3Reply(reply)).to.equal(true);
    expect(isDriver3Reply(new MongoError('pool destroyed'))).to.equal(false);
    expect(isDriver3Reply(new MongoNetworkError('connect ECONNREFUSED'))).to.equal(false);
    const sanitized = sanitizeError(reply, 'set') as Error;
    expect(sanitized).to.be.instanceOf(SessionStoreServerError);
    expect(sanitized.message).not.to.include('secret');
    expect(isTransient(new MongoError({ message: 'SQLITE_BUSY: database is locked', ok: 0 }))).to.equal(true);
    expect(isTransient(new MongoError('SQLITE_BUSY, but not from a server'))).to.equal(false);
  });

  it('refuses an unconnected driver 3.x MongoClient at once, naming the driver and what to pass instead', () => {
    const { MongoClient } = load('mongodb-3') as unknown as { MongoClient: new (url: string) => object };
    expect(() => resolveHandle(new MongoClient('mongodb://127.0.0.1:1/app'))).to.throw(
      TypeError,
      /^The MongoClient is not connected, and MongoDB driver \d+\.\d+\.\d+ gives no database before it is: pass the client \(or its Db\) that MongoClient\.connect\(url, callback\) calls back with/,
    );
  });

  it("passes on any other error of a client's db() as it is", () => {
    const odd = new RangeError('odd database name');
    const client = {
      db(): never {
        throw odd;
      },
      connect: () => Promise.resolve(),
    };
    expect(() => resolveHandle(client)).to.throw(odd);
  });

  it('finds the client behind a driver 4.x Db, where it is internal, and reopens it as on later drivers', () => {
    const { MongoClient } = load('mongodb-4') as unknown as { MongoClient: new (url: string) => { db(): object } };
    const client = new MongoClient('mongodb://127.0.0.1:1/app');
    const handle = resolveHandle(client.db());
    expect(handle.client).to.equal(client);
    expect(handle.reopens).to.equal(true);
  });

  it('names the servers of a driver 3.x client or topology, which keep them elsewhere', () => {
    const servers = [
      { host: 'db1', port: 27017 },
      { host: 'db2', port: 27018 },
    ];
    expect(serverNames({ s: { options: { servers } } } as never)).to.deep.equal(['db1:27017', 'db2:27018']);
    expect(serverNames({ s: { seedlist: servers } } as never)).to.deep.equal(['db1:27017', 'db2:27018']);
    expect(serverNames({} as never)).to.deep.equal([]);
  });
});
