import { expect } from 'chai';
import { boundedMap } from '../../lib/util/bounded-map';

/** What the bounded map must behave as: a Map in the order of sets (a set moves its key to the end). */
function referenceMap(limit: number) {
  const entries = new Map<string, number>();
  return {
    get: (key: string) => entries.get(key),
    set(key: string, value: number) {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > limit) entries.delete(entries.keys().next().value!);
    },
    delete: (key: string) => void entries.delete(key),
  };
}

describe('boundedMap (unit)', () => {
  it('forgets the entry set longest ago, a set again counting as the latest', () => {
    const map = boundedMap<number>(4);
    for (const key of ['a', 'b', 'c', 'd']) map.set(key, 1);
    map.set('c', 2);
    map.set('e', 1); // a goes
    map.set('f', 1); // b goes
    map.set('g', 1); // d goes: c was set after it
    map.set('h', 1); // c goes now, before e, f and g, set after it
    expect(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((key) => map.get(key))).to.deep.equal([
      undefined,
      undefined,
      undefined,
      undefined,
      1,
      1,
      1,
      1,
    ]);
  });

  it('keeps the value set last, and forgets a deleted key at once', () => {
    const map = boundedMap<number>(2);
    map.set('a', 1);
    map.set('a', 2);
    map.set('b', 1);
    map.delete('a');
    map.delete('missing');
    map.set('c', 1);
    expect([map.get('a'), map.get('b'), map.get('c')]).to.deep.equal([undefined, 1, 1]);
    map.set('d', 1); // b goes: the oldest left
    expect([map.get('b'), map.get('c'), map.get('d')]).to.deep.equal([undefined, 1, 1]);
  });

  it('holds exactly what a Map in the order of sets holds, under any mix of sets and deletes', () => {
    const map = boundedMap<number>(50);
    const reference = referenceMap(50);
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const key = `s${next() % 400}`;
      if (next() % 5 === 0) {
        map.delete(key);
        reference.delete(key);
      } else {
        map.set(key, i);
        reference.set(key, i);
      }
      if (i % 97 === 0) for (let k = 0; k < 400; k++) expect(map.get(`s${k}`), `s${k} after ${i}`).to.equal(reference.get(`s${k}`));
    }
  });
});
