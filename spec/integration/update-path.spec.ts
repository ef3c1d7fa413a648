import { expect } from 'chai';
import { freshDb } from '../support/server';
import { openStore, sessionWith } from '../support/store';

/*
 * A property test over the update path: an existing session, changed arbitrarily (names only,
 * values only, types, depth), stored with set, is what the next get returns, from this
 * process and from another. FerretDB v1 once acknowledged a rename and kept the old names.
 */

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['a', 'b', 'pendingMfa', 'mfaVerified', 'user', 'cart', 'x-y', 'role', 'n'];
type Value = null | boolean | number | string | Value[] | { [name: string]: Value };

function value(rnd: () => number, depth: number): Value {
  const kind = Math.floor(rnd() * (depth > 2 ? 4 : 6));
  if (kind === 0) return rnd() < 0.5;
  if (kind === 1) return Math.floor(rnd() * 5);
  if (kind === 2) return ['', 'x', 'yes'][Math.floor(rnd() * 3)]!;
  if (kind === 3) return null;
  // No arrays in arrays: FerretDB v1 refuses them (docs/stored-values.md's table says so).
  if (kind === 4)
    return Array.from({ length: Math.floor(rnd() * 3) }, () => (rnd() < 0.5 ? object(rnd, depth + 1) : Math.floor(rnd() * 5)));
  return object(rnd, depth + 1);
}

function object(rnd: () => number, depth: number): { [name: string]: Value } {
  const out: { [name: string]: Value } = {};
  for (const name of NAMES) if (rnd() < 0.35) out[name] = value(rnd, depth);
  return out;
}

/** Renames every property, keeping values and order: the change FerretDB v1 dropped. */
function renamed(data: { [name: string]: Value }): { [name: string]: Value } {
  const out: { [name: string]: Value } = {};
  for (const [name, item] of Object.entries(data)) {
    const renamedItem = typeof item === 'object' && item !== null && !Array.isArray(item) ? renamed(item) : item;
    out[`${name}2`] = renamedItem;
  }
  return out;
}

function changed(rnd: () => number, data: { [name: string]: Value }): { [name: string]: Value } {
  const mode = Math.floor(rnd() * 3);
  if (mode === 0) return renamed(data);
  if (mode === 1) return { ...data, ...object(rnd, 0) };
  return object(rnd, 0);
}

describe('the update path, property-tested', () => {
  for (const Filter of [false, true]) {
    it(`an acknowledged set of an existing session is what get returns, whatever changed (Filter ${Filter})`, async function () {
      this.timeout(120_000);
      const db = freshDb();
      const store = await openStore(db, { Filter });
      const other = await openStore(db, { Filter });
      const rnd = random(Filter ? 7 : 3);
      for (let i = 0; i < 60; i++) {
        const sid = `s${i}`;
        const fields = object(rnd, 0);
        const before = sessionWith(fields);
        const after = sessionWith(changed(rnd, fields));
        await store.set(sid, before);
        expect(await store.get(sid), `case ${i}, before`).to.deep.equal(before);
        await store.set(sid, after);
        expect(await store.get(sid), `case ${i}, after`).to.deep.equal(after);
        expect(await other.get(sid), `case ${i}, read by another process`).to.deep.equal(after);
      }
    });
  }

  it('the MFA step of the issue: pendingMfa: true becomes mfaVerified: true', async () => {
    const store = await openStore(freshDb());
    await store.set('s', sessionWith({ pendingMfa: true }));
    await store.get('s');
    await store.set('s', sessionWith({ mfaVerified: true }));
    expect(await store.get('s')).to.deep.equal(sessionWith({ mfaVerified: true }));
  });
});
