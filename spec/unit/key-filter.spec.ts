import { expect } from 'chai';
import { Binary, BSON, Decimal128, ObjectId } from 'mongodb';
import { MAX_DOCUMENT_BYTES, MAX_SESSION_DEPTH } from '../../lib/stored/bson-limits';
import {
  checkData,
  escapeData,
  escapeName,
  nameFormOf,
  sessionDataOf,
  storedData,
  unescapeAllName,
  unescapeData,
  unescapeLegacyName,
  unescapeName,
} from '../../lib/stored/key-filter';

/** 1.x's escaping, as LEGACY-API.md records it: first occurrence only. */
function legacyEscape(name: string): string {
  return name.replace('-', '*-').replace('.', 'dot-').replace('$', 'dol-').replace('\0', 'nul-');
}

/** Deterministic pseudo-random names built from the characters that matter. */
function* names(count: number): Generator<string> {
  const alphabet = ['a', '-', '*', '.', '$', '\0', 'd', 'o', 't', 'l', 'n', 'u'];
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < count; i++) {
    let name = '';
    const length = next() % 12;
    for (let j = 0; j < length; j++) name += alphabet[next() % alphabet.length];
    yield name;
  }
}

describe('key filter', () => {
  it('round-trips every name exactly, escape markers included', () => {
    const seen = new Map<string, string>();
    for (const name of names(20_000)) {
      const escaped = escapeName(name);
      expect(escaped).not.to.match(/^\$|[.\0]/);
      expect(unescapeName(escaped), JSON.stringify(name)).to.equal(name);
      const other = seen.get(escaped);
      if (other !== undefined) expect(other).to.equal(name);
      seen.set(escaped, name);
    }
  });

  it('writes every name 1.x reads back identically in 1.x’s own form', () => {
    expect(escapeName('x-csrf-token')).to.equal('x*-csrf-token');
    expect(unescapeLegacyName(escapeName('x-csrf-token'))).to.equal('x-csrf-token');
    expect(escapeName('Test.Testdot-*-dot*-')).to.equal(legacyEscape('Test.Testdot-*-dot*-'));
    let checked = 0;
    for (const name of names(20_000)) {
      const legacy = legacyEscape(name);
      if (/^\$|[.\0]/.test(legacy) || unescapeLegacyName(legacy) !== name) continue; // 1.x could not round-trip it
      checked++;
      expect(escapeName(name), JSON.stringify(name)).to.equal(legacy);
    }
    expect(checked).to.be.greaterThan(5_000);
  });

  it('gives only names 1.x could never round-trip 2.x’s form: a leading "-", every occurrence escaped', () => {
    expect(escapeName('a.b.c')).to.equal('-adot-bdot-c');
    expect(escapeName('n\0u\0l')).to.equal('-nnul-unul-l');
    // 1.x wrote "*-dot-" for this name and read it back as "-.".
    expect(unescapeLegacyName(legacyEscape('-dot-'))).to.equal('-.');
    expect(escapeName('-dot-')).to.equal('-*-dot*-');
    expect(unescapeName('-adot-bdot-c')).to.equal('a.b.c');
    expect(unescapeName('-*-dot*-')).to.equal('-dot-');
  });

  it('reads each stored document as it was written, whatever Filter says now', () => {
    expect(nameFormOf({ _id: 's', FilterVersion: 3 }, false)).to.equal('mixed');
    expect(nameFormOf({ _id: 's', FilterVersion: 2 }, false)).to.equal('all');
    expect(nameFormOf({ _id: new ObjectId(), FilterVersion: 0 }, true)).to.equal('as-given');
    // 2.0.0 left FilterVersion out without Filter; 1.x never wrote it.
    expect(nameFormOf({ _id: 's' }, true)).to.equal('as-given');
    expect(nameFormOf({ _id: new ObjectId() }, true)).to.equal('legacy');
    expect(nameFormOf({ _id: new ObjectId() }, false)).to.equal('as-given');

    const plain = storedData({ 'manul-cat': 1 }, false);
    expect(plain).to.deep.equal({ Data: { 'manul-cat': 1 }, FilterVersion: 0 });
    expect(sessionDataOf({ _id: 's', ...plain }, true)).to.deep.equal({ 'manul-cat': 1 });
    const escaped = storedData({ 'a.b.c': { 'x-y': 1 } }, true);
    expect(escaped.FilterVersion).to.equal(3);
    expect(sessionDataOf({ _id: 's', ...escaped }, false)).to.deep.equal({ 'a.b.c': { 'x-y': 1 } });
    // 2.0.0 wrote every occurrence escaped, without a leading "-".
    expect(unescapeAllName('x*-csrf*-token')).to.equal('x-csrf-token');
    expect(sessionDataOf({ _id: 's', Data: { 'x*-csrf*-token': 1 }, FilterVersion: 2 }, true)).to.deep.equal({ 'x-csrf-token': 1 });
  });

  it('leaves names without special characters alone', () => {
    expect(escapeName('plain_Name1')).to.equal('plain_Name1');
  });

  it('reads names written by 1.x as 1.x read them', () => {
    expect(legacyEscape('Test.Testdot-*-dot*-')).to.equal('Testdot-Testdot*-*-dot*-');
    expect(unescapeLegacyName('Testdot-Testdot*-*-dot*-')).to.equal('Test.Testdot-*-dot*-');
    expect(unescapeLegacyName(legacyEscape('$b\0c'))).to.equal('$b\0c');
    expect(unescapeLegacyName(legacyEscape('a.b'))).to.equal('a.b');
    // Every name 1.x could store and read back (one of each special character) is read alike.
    for (const name of names(5_000)) {
      if (/\..*\.|\$.*\$|\0.*\0/.test(name)) continue;
      const stored = legacyEscape(name);
      if (unescapeLegacyName(stored) !== name) continue; // 1.x itself lost this one
      expect(unescapeLegacyName(stored), JSON.stringify(name)).to.equal(name);
    }
  });

  it('escapes names at every depth, in objects inside arrays', () => {
    const data = { 'a.b': [{ '$b\0c': { 'Test.Testdot-*-dot*-': 1 } }], ok: { 'x.y': 'v.w' } };
    const escaped = escapeData(data) as unknown as Record<string, unknown>;
    expect(JSON.stringify(escaped)).not.to.match(/"[^"]*[.$][^"]*":/);
    expect(escaped).to.have.property('adot-b');
    expect(unescapeData(escaped, false)).to.deep.equal(data);
  });

  it('keeps Date, ObjectId, Binary, Decimal128, Buffer and RegExp values', () => {
    const data = {
      'd.ate': new Date(1234),
      id: new ObjectId(),
      bin: new Binary(Buffer.from('hi'), 0x80),
      dec: Decimal128.fromString('1.25'),
      buf: Buffer.from('buffer'),
      re: /x+/g,
      list: [new Date(5)],
    };
    const escaped = escapeData(data) as unknown as Record<string, unknown>;
    expect(escaped['ddot-ate']).to.equal(data['d.ate']);
    expect(escaped.id).to.equal(data.id);
    const back = unescapeData(escaped, false) as unknown as typeof data;
    expect(back['d.ate']).to.be.instanceOf(Date).and.deep.equal(new Date(1234));
    expect(back.id.equals(data.id)).to.equal(true);
    expect(back.bin).to.be.instanceOf(Binary);
    expect(back.dec.toString()).to.equal('1.25');
    expect(Buffer.isBuffer(back.buf)).to.equal(true);
    expect(back.re.source).to.equal('x+');
  });

  it('turns a stored Binary of subtype 0 back into a Buffer', () => {
    const back = unescapeData({ b: new Binary(Buffer.from('xyz')) }, false) as { b: Buffer };
    expect(Buffer.isBuffer(back.b)).to.equal(true);
    expect(back.b.toString()).to.equal('xyz');
  });

  it('reading copies only the objects whose names were escaped', () => {
    const plain = { deep: { list: [{ n: 1 }] } };
    const read = { plain, 'x*-y': { z: 1 }, buf: new Binary(Buffer.from('q')) };
    const back = unescapeData(read, false) as Record<string, unknown>;
    expect(back).not.to.equal(read); // a name was escaped at the top
    expect(back.plain).to.equal(plain);
    expect(back['x-y']).to.deep.equal({ z: 1 });
    expect(Buffer.isBuffer(back.buf)).to.equal(true);
    const untouched = { a: { b: [1, { c: 2 }] } };
    expect(unescapeData(untouched, false)).to.equal(untouched);
  });

  it('cannot pollute prototypes through __proto__ or constructor', () => {
    const hostile = JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "a": {"__proto__": {"x": 1}}}',
    );
    const back = unescapeData(escapeData(hostile), false) as unknown as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(Object.getPrototypeOf(back)).to.equal(Object.prototype);
    expect(Object.getOwnPropertyNames(back)).to.include('__proto__');
    expect((back.a as Record<string, unknown>).x).to.equal(undefined);
    expect(JSON.stringify(back)).to.equal(JSON.stringify(hostile));
  });

  it('refuses circular data with a clear error', () => {
    const data: Record<string, unknown> = { a: 1 };
    data.self = data;
    expect(() => escapeData(data)).to.throw(TypeError, /circular/);
    const shared = { x: 1 };
    expect(escapeData({ one: shared, two: shared })).to.deep.equal({ one: { x: 1 }, two: { x: 1 } });
  });

  it('reads 20,000 levels of nesting without overflowing the stack', () => {
    let data: Record<string, unknown> = { 'leafdot-name': true };
    for (let i = 0; i < 20_000; i++) data = { 'ndot-': data };
    const back = unescapeData(data, false) as unknown as Record<string, unknown>;
    let depth = 0;
    let node = back;
    while (node['n.']) {
      node = node['n.'] as Record<string, unknown>;
      depth++;
    }
    expect(depth).to.equal(20_000);
    expect(node['leaf.name']).to.equal(true);
  });
});

describe('session values: stored, converted or refused before sending', () => {
  // Both walks: with Filter (a copy is made) and without (only checked).
  const walks: Array<[string, (data: unknown) => unknown]> = [
    ['Filter on', (data) => escapeData(data)],
    ['Filter off', (data) => checkData(data)],
  ];
  const refused: Array<[string, () => unknown, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, RegExp]> = [
    ['NaN', () => ({ qty: Number('lots') }), RangeError, /NaN or an infinite/],
    ['Infinity', () => ({ n: [1, Infinity] }), RangeError, /NaN or an infinite/],
    ['-Infinity', () => ({ n: { m: -Infinity } }), RangeError, /NaN or an infinite/],
    ['a BSON Double NaN', () => ({ n: new BSON.Double(NaN) }), RangeError, /NaN or an infinite/],
    ['an invalid Date', () => ({ at: new Date('not a date') }), RangeError, /invalid Date/],
    ['a lone surrogate in a value', () => ({ text: 'ab\uD800' }), TypeError, /lone surrogate/],
    ['a lone surrogate in an array', () => ({ list: ['ok', '\uDC00'] }), TypeError, /lone surrogate/],
    ['a lone surrogate in a name', () => ({ deep: { ['k\uD800']: 1 } }), TypeError, /name holds a lone surrogate/],
    ['a Float64Array', () => ({ v: new Float64Array([1.5]) }), TypeError, /Float64Array/],
    ['an Int16Array', () => ({ v: new Int16Array(2) }), TypeError, /Int16Array/],
    ['a DataView', () => ({ v: new DataView(new ArrayBuffer(2)) }), TypeError, /DataView/],
    ['an ArrayBuffer', () => ({ v: new ArrayBuffer(4) }), TypeError, /ArrayBuffer/],
    ['a Set', () => ({ v: new Set([1]) }), TypeError, /Set/],
    ['a Map', () => ({ v: new Map([['a', 1]]) }), TypeError, /Map/],
    ['a WeakMap', () => ({ v: new WeakMap() }), TypeError, /WeakMap/],
    ['a boxed Number', () => ({ v: new Number(1) }), TypeError, /boxed/],
    ['a MinKey', () => ({ v: new BSON.MinKey() }), TypeError, /MinKey/],
    ['a Code', () => ({ v: new BSON.Code('1') }), TypeError, /Code/],
    ['a BigInt over 64 bits', () => ({ v: 2n ** 64n }), RangeError, /BigInt/],
    ['a RegExp with the flag s', () => ({ v: /a.b/s }), TypeError, /RegExp with flags/],
    ['a RegExp with the flag u', () => ({ v: /a/iu }), TypeError, /RegExp with flags/],
  ];
  for (const [walkName, run] of walks) {
    for (const [name, make, type, message] of refused) {
      it(`${walkName}: refuses ${name} with a ${type.name}`, () => {
        expect(() => run(make())).to.throw(type, message);
      });
    }
  }

  it('stores Uint8Array, Buffer, BSON types and class instances (as their own properties)', () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      get sum(): number {
        return this.x + this.y;
      }
    }
    const data = {
      u8: new Uint8Array([1]),
      buf: Buffer.from('b'),
      id: new ObjectId(),
      dec: Decimal128.fromString('1'),
      p: new Point(1, 2),
    };
    const copy = escapeData(data) as Record<string, unknown>;
    expect(copy.u8).to.equal(data.u8);
    expect(copy.p).to.deep.equal({ x: 1, y: 2 });
    expect(() => checkData(data)).not.to.throw();
  });

  it('refuses Decimal128 where the server cannot take it', () => {
    expect(() => escapeData({ d: Decimal128.fromString('1') }, { decimal128: false })).to.throw(TypeError, /Decimal128/);
    expect(() => checkData({ d: Decimal128.fromString('1') }, { decimal128: false })).to.throw(TypeError, /Decimal128/);
  });

  for (const [walkName, run] of walks) {
    it(`${walkName}: refuses depth during the walk, so a getter making a new child on every read stops`, () => {
      let reads = 0;
      const endless = (): object => ({
        get child() {
          reads++;
          return endless();
        },
      });
      expect(() => run({ root: endless() })).to.throw(RangeError, new RegExp(`at least ${MAX_SESSION_DEPTH + 1} levels deep`));
      expect(reads).to.be.at.most(MAX_SESSION_DEPTH);
      const lazy = (): object =>
        new Proxy(
          {},
          { get: () => lazy(), ownKeys: () => ['next'], getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }) },
        );
      expect(() => run({ p: lazy() })).to.throw(RangeError, /levels deep/);
    });

    it(`${walkName}: refuses a sparse array of length 1e8 at once, by its length`, () => {
      const sparse: unknown[] = [];
      sparse.length = 1e8;
      const started = process.hrtime.bigint();
      expect(() => run({ sparse })).to.throw(RangeError, /16 MB/);
      expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.below(50);
    });

    it(`${walkName}: refuses data over 16 MB before sending, and only then`, () => {
      expect(() => run({ blob: 'x'.repeat(MAX_DOCUMENT_BYTES) })).to.throw(RangeError, /16 MB/);
      const big = { blob: 'x'.repeat(MAX_DOCUMENT_BYTES - 100) };
      expect(() => run(big)).not.to.throw();
      // The walk's bound never exceeds the real size: what it refuses, BSON could not hold either.
      const list = Array.from({ length: 1000 }, (_, i) => ({ ['name' + i]: 'v'.repeat(i), n: i, d: new Date(i), f: () => i }));
      expect(() => run({ list })).not.to.throw();
      expect(BSON.calculateObjectSize({ list })).to.be.above(1000 * 3);
    });
  }

  it('copies functions and symbols for BSON to leave out, keeping array positions', () => {
    const copy = escapeData({ list: [1, () => 2, 3] }) as { list: unknown[] };
    expect(copy.list).to.have.length(3);
    expect(BSON.deserialize(BSON.serialize(copy))).to.deep.equal(BSON.deserialize(BSON.serialize({ list: [1, () => 2, 3] })));
  });
});
