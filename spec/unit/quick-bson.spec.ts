import { expect } from 'chai';
import { Binary, Long, ObjectId } from 'mongodb';
import { driverBson, type DriverBson } from '../../lib/driver/versions';
import { readEncryptionKeys } from '../../lib/stored/encryption';
import { agreesWith, quickSerialize } from '../../lib/stored/quick-bson';

/**
 * The one-pass BSON that EncryptionKeys seals (issue 21) writes exactly the driver's bytes
 * where it writes at all, and leaves everything else to the driver's bson.
 */
describe('quick BSON', () => {
  const OPTIONS = { ignoreUndefined: false, checkKeys: false };
  const driverBytes = (doc: object) => Buffer.from(driverBson.serialize(doc, OPTIONS));
  const same = (doc: object) => {
    const ours = quickSerialize(doc);
    expect(ours, 'written by the quick pass').not.to.equal(undefined);
    expect(Buffer.from(ours!).toString('hex')).to.equal(driverBytes(doc).toString('hex'));
  };

  it("writes a common session byte for byte as the driver's bson does", () => {
    same({
      Data: {
        cookie: { originalMaxAge: 3600000, expires: '2030-01-01T00:00:00.000Z', httpOnly: true, path: '/' },
        user: { id: 'u1', name: 'Zoë Ångström 😀', roles: ['a', 'b'], cart: [{ sku: 'x-1', qty: 2, price: 1.5 }] },
        flash: { 'form-errors': [] },
        lastLogin: new Date('2025-01-15T09:30:00Z'),
        gone: undefined,
        none: null,
        yes: true,
        no: false,
      },
      FilterVersion: 0,
    });
  });

  it('writes each number, date, string and container the way the driver does', () => {
    const numbers = [
      0,
      1,
      -1,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 53,
      2 ** 53 + 2,
      1.5,
      -1e-300,
      1e300,
      Number.MAX_VALUE,
    ];
    same({ numbers, ...Object.fromEntries(numbers.map((n, i) => [`n${i}`, n])) });
    same({ epoch: new Date(0), before: new Date(-1), early: new Date(-8.64e15), late: new Date(8.64e15), odd: new Date(2 ** 32 + 5) });
    same({ '': '', é: 'é', '€uro': '€', astral: '😀'.repeat(3), nul: 'a\0b', long: 'x'.repeat(5000) });
    // eslint-disable-next-line no-sparse-arrays -- a hole, as a session may hold one
    same({ holes: [1, , 3], undefinedInArray: [undefined], deep: { a: { b: { c: [[[{}]]] } } }, bare: Object.create(null) as object });
    same({ many: Array.from({ length: 200 }, (_, i) => i) });
    same(JSON.parse('{"__proto__": {"x": 1}, "constructor": "c"}') as object);
  });

  it('writes random sessions as the driver does', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const leaf = (): unknown =>
      [
        () => random() * 1e6 - 5e5,
        () => Math.floor(random() * 2 ** 33) - 2 ** 32,
        () => 'é€😀ab'.slice(0, Math.floor(random() * 6)),
        () => random() < 0.5,
        () => null,
        () => undefined,
        () => new Date(Math.floor(random() * 4e12) - 1e12),
      ][Math.floor(random() * 7)]!();
    const tree = (depth: number): unknown => {
      if (depth > 4 || random() < 0.3) return leaf();
      const size = Math.floor(random() * 5);
      if (random() < 0.3) return Array.from({ length: size }, () => tree(depth + 1));
      return Object.fromEntries(Array.from({ length: size }, (_, i) => [`k${i}${'é'.repeat(Math.floor(random() * 2))}`, tree(depth + 1)]));
    };
    for (let i = 0; i < 300; i++) same({ Data: { t: tree(0) }, FilterVersion: i % 2 });
  });

  it("leaves to the driver's bson every value it does not write itself", () => {
    class Custom {}
    const others: unknown[] = [
      -0,
      NaN,
      Infinity,
      1n,
      Symbol('s'),
      () => 1,
      new Map(),
      new Set(),
      new Custom(),
      Buffer.from('a'),
      new Uint8Array(2),
    ];
    others.push(
      new ObjectId(),
      Long.fromNumber(5),
      new Binary(Buffer.from('b')),
      /re/,
      new Date(NaN),
      { toBSON: () => ({}) },
      { _bsontype: 'ObjectId' },
    );
    for (const value of others) expect(quickSerialize({ Data: { nested: [{ value }] } }), String(value)).to.equal(undefined);
    expect(quickSerialize({ 'a\0b': 1 }), 'a name holding NUL').to.equal(undefined);
    // And the next session is written whole, from the start of the buffer.
    same({ after: 'a give-up' });
  });

  it('leaves cycles, deep nesting and sessions past its buffer to the driver', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(quickSerialize(cycle)).to.equal(undefined);
    const nest = (depth: number) => {
      let doc: object = { leaf: 1 };
      for (let i = 0; i < depth; i++) doc = { d: doc };
      return doc;
    };
    same(nest(99));
    expect(quickSerialize(nest(101))).to.equal(undefined);
    expect(quickSerialize({ big: 'x'.repeat(70 * 1024) })).to.equal(undefined);
  });

  it('never writes past its buffer: near its end, either the driver bytes or a give-up', () => {
    // Many small elements under sixty open documents, so that the pass comes up to its
    // buffer's end with sixty ends still to write.
    const nested = (count: number) => {
      let doc: object = { list: new Array<null>(count).fill(null) };
      for (let i = 0; i < 60; i++) doc = { n: doc };
      return doc;
    };
    let written = 0;
    let gaveUp = 0;
    for (let count = 10820; count <= 10900; count++) {
      const doc = nested(count);
      const ours = quickSerialize(doc);
      if (ours === undefined) gaveUp++;
      else {
        written++;
        expect(Buffer.from(ours).equals(driverBytes(doc)), `${count} elements`).to.equal(true);
      }
    }
    expect([written, gaveUp], 'written, given up').to.satisfy(([w, g]: number[]) => w! > 10 && g! > 10);
  });

  it('writes a session whose getter seals another one meanwhile: the inner one goes to the driver', () => {
    const inner: Array<Uint8Array | undefined> = [];
    const doc = {
      before: 'x'.repeat(50),
      get sealsAnother() {
        inner.push(quickSerialize({ other: 'y'.repeat(80) }));
        return 'z';
      },
      after: [1, 2, 3],
    };
    const ours = quickSerialize(doc);
    expect(inner, 'the inner session, left to the driver').to.deep.equal([undefined]);
    expect(Buffer.from(ours!).equals(driverBytes(doc))).to.equal(true);
    same({ next: 'written again once the outer one is done' });
  });

  it('gives up where a prototype would change what the driver writes', () => {
    const probe = { list: [1], when: new Date(0), text: 'a' };
    for (const proto of [Object.prototype, Array.prototype, Date.prototype, String.prototype]) {
      Object.defineProperty(proto, 'toBSON', { value: () => ({}), configurable: true, writable: true });
      try {
        expect(quickSerialize(probe), proto.constructor.name).to.equal(undefined);
      } finally {
        delete (proto as { toBSON?: unknown }).toBSON;
      }
    }
    // Asserted once the prototype is clean again: chai reads every name it is handed.
    Object.defineProperty(Object.prototype, 'inherited', { value: 1, enumerable: true, configurable: true });
    let inherited: unknown;
    try {
      inherited = quickSerialize(probe);
    } finally {
      delete (Object.prototype as { inherited?: unknown }).inherited;
    }
    expect(inherited, 'an enumerable inherited name').to.equal(undefined);
    same(probe);
  });

  it("is used only where it agrees with the driver's bson", () => {
    expect(agreesWith(driverBson)).to.equal(true);
    const other = (serialize: DriverBson['serialize']): DriverBson => ({ ...driverBson, serialize });
    expect(agreesWith(other((doc) => driverBson.serialize({ ...doc, extra: 1 })))).to.equal(false);
    expect(
      agreesWith(
        other(() => {
          throw new Error('refused');
        }),
      ),
    ).to.equal(false);
  });

  it('seals what it writes and what it leaves alike: both open to the same session', () => {
    const keyring = readEncryptionKeys(['k'.repeat(32)])!;
    for (const Data of [
      { plain: 'é', n: 1, when: new Date(5) },
      { id: new ObjectId(), zero: -0, bytes: Buffer.from('ab') },
    ]) {
      const opened = keyring.open('sid', 'Data', keyring.seal('sid', 'Data', { Data, FilterVersion: 0 }));
      expect(opened).to.deep.equal(driverBson.deserialize(driverBson.serialize({ Data, FilterVersion: 0 }, OPTIONS)));
    }
  });
});
