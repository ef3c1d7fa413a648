import { expect } from 'chai';
import { Decimal128, Long, ObjectId } from 'mongodb';
import { escapeData, escapeName } from '../../lib/stored/key-filter';
import { keptNames, QUIT, quickWalk } from '../../lib/stored/quick-walk';

/**
 * The quick pass over a session (issue 21) answers only for what it knows to be fine; all
 * else goes to the full walk, whose errors the key-filter spec checks. So: the same copy as
 * the full walk where it answers, and QUIT for everything the full walk converts or refuses.
 */
describe('quick walk', () => {
  const asIs = keptNames((name) => name);
  const escaped = keptNames(escapeName);
  const session = () => ({
    cookie: { originalMaxAge: null, expires: new Date('2030-01-01T00:00:00Z'), httpOnly: true, path: '/' },
    user: { id: 'u1', 'color-scheme': 'dark', roles: ['a', 'b'], cart: [{ sku: 'x-1', qty: 2, price: 1.5 }] },
    flash: { 'form-errors': [] as string[] },
    visits: 3,
    gone: undefined,
    none: null,
  });

  it('answers for a common session: the session itself, or a copy with every name escaped', () => {
    const data = session();
    expect(quickWalk(data, asIs, false)).to.equal(data);
    const copy = quickWalk(data, escaped, true) as Record<string, unknown>;
    expect(copy).not.to.equal(data);
    expect(copy).to.deep.equal({
      ...data,
      user: { id: 'u1', 'color*-scheme': 'dark', roles: ['a', 'b'], cart: [{ sku: 'x-1', qty: 2, price: 1.5 }] },
      flash: { 'form*-errors': [] },
    });
    expect(escapeData(data)).to.deep.equal(copy);
  });

  const unusual: Array<[string, unknown]> = [
    ['a BigInt', 1n],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a lone surrogate', '\ud800'],
    ['an invalid Date', new Date(NaN)],
    ['a Buffer', Buffer.from('x')],
    ['a RegExp', /x/],
    ['a Map', new Map()],
    ['a class instance', new (class Point {})()],
    ['an ObjectId', new ObjectId()],
    ['a Long', Long.fromNumber(1)],
    ['a Decimal128', Decimal128.fromString('1')],
    ['a plain object with toBSON', { toBSON: () => 1 }],
    ['a plain object with a hidden toBSON', Object.defineProperty({}, 'toBSON', { value: () => 1 })],
    ['a plain object with _bsontype', { _bsontype: 'Code' }],
    ['an array with toBSON', Object.assign([1], { toBSON: () => 1 })],
    ['an object without a prototype', Object.create(null) as object],
    ['a long array', new Array(5000).fill(1)],
  ];
  for (const [what, value] of unusual) {
    it(`leaves ${what} to the full walk`, () => {
      expect(quickWalk({ deep: { value } }, asIs, false)).to.equal(QUIT);
      expect(quickWalk({ deep: [value] }, escaped, true)).to.equal(QUIT);
    });
  }

  it('leaves to the full walk: a name it may not store as it is, __proto__, a lone surrogate in a name', () => {
    const refuse = keptNames((name) => (name.includes('.') ? null : name));
    expect(quickWalk({ a: { 'b.c': 1 } }, refuse, false)).to.equal(QUIT);
    expect(quickWalk(JSON.parse('{"a":{"__proto__":1}}'), asIs, true)).to.equal(QUIT);
    expect(quickWalk({ a: { '\udc00': 1 } }, asIs, false)).to.equal(QUIT);
  });

  it('keeps at most 1,000 names, answering the same once it forgot them', () => {
    const dotless = keptNames((name) => (name.includes('.') ? null : name));
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 1500; i++) {
        expect(dotless(`n${i}`)).to.equal(`n${i}`);
        expect(dotless(`n.${i}`)).to.equal(null);
      }
    }
    expect(dotless('\ud800')).to.equal(null);
  });

  it('leaves everything to the full walk while Object.prototype lends an enumerable name', () => {
    Object.defineProperty(Object.prototype, 'polluted', { value: 1, enumerable: true, configurable: true, writable: true });
    try {
      expect(quickWalk({ a: 1 }, asIs, false)).to.equal(QUIT);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    expect(quickWalk({ a: 1 }, asIs, false)).to.deep.equal({ a: 1 });
  });

  it('leaves a cycle to the full walk, which names it, and refuses depth at once as the full walk does', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = { again: cycle };
    expect(quickWalk(cycle, asIs, false)).to.equal(QUIT);
    expect(() => escapeData(cycle)).to.throw(TypeError, /circular/);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 150; i++) deep = { next: deep };
    expect(() => quickWalk(deep, asIs, false)).to.throw(RangeError, /at least 100 levels deep/);
  });

  it('leaves to the full walk a session near 16 MB, which measures it exactly', () => {
    expect(quickWalk({ big: 'x'.repeat(9 * 1024 * 1024) }, asIs, false)).to.equal(QUIT);
  });
});
