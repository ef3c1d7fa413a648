import { expect } from 'chai';
import { boundedMap } from '../../lib/util/bounded-map';

describe('boundedMap (unit)', () => {
  it('holds at most its limit, forgetting the oldest entry not set again', () => {
    const map = boundedMap<number>(3);
    for (const key of ['a', 'b', 'c']) map.set(key, 1);
    map.set('a', 2); // set again: passed over once
    map.set('d', 1);
    expect(['a', 'b', 'c', 'd'].map((key) => map.get(key))).to.deep.equal([2, undefined, 1, 1]);
    map.set('e', 1);
    expect(['a', 'c', 'd', 'e'].map((key) => map.get(key))).to.deep.equal([2, undefined, 1, 1]);
  });

  it('never forgets the entry it is adding, even when every other was set again', () => {
    const map = boundedMap<number>(3);
    for (const key of ['a', 'b', 'c']) map.set(key, 1);
    for (const key of ['a', 'b', 'c']) map.set(key, 2);
    map.set('d', 3);
    expect(map.get('d')).to.equal(3);
    // Every mark was cleared on the way: the oldest went.
    expect(['a', 'b', 'c'].map((key) => map.get(key))).to.deep.equal([undefined, 2, 2]);
  });

  it('stays bounded under any mix of sets and deletes', () => {
    const map = boundedMap<number>(50);
    const alive = new Set<string>();
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const key = `s${next() % 400}`;
      if (next() % 5 === 0) map.delete(key);
      else map.set(key, i);
    }
    for (let i = 0; i < 400; i++) if (map.get(`s${i}`) !== undefined) alive.add(`s${i}`);
    expect(alive.size).to.be.at.most(50).and.at.least(40);
  });
});
