import { expect } from 'chai';
import { Binary, Decimal128, ObjectId } from 'mongodb';
import { freshDb, isFerretDB, skipBecause } from '../support/server';
import { openStore, sessionWith } from '../support/store';

describe('Filter', () => {
  it('stores names with ., $ and \\0 at every depth and reads them back exactly', async () => {
    const db = freshDb();
    const store = await openStore(db, { Filter: true });
    const session = sessionWith({
      'a.b.c': { $x$y: [{ 'n\0u\0l': 1, 'dot-': 'dol-', '*-': ['nul-'] }] },
      'Test.Testdot-*-dot*-': { '$b\0c': [1, 2, { 'x.y': null }] },
      plain: 'value.with.dots',
    });
    await store.set('f', session);
    const raw = await db.collection('Sessions').findOne({ _id: 'f' as never });
    // No stored name has "." or "\0" or starts with "$" ("$" inside a name is stored, as 1.x stored it).
    // eslint-disable-next-line no-control-regex -- \0 in a name is exactly what is checked
    expect(JSON.stringify(raw?.Data)).not.to.match(/"(\$|[^"]*[.\u0000])[^"]*":/);
    expect(await store.get('f')).to.deep.equal(session);
  });

  it('keeps Date, ObjectId, Binary and Buffer values through the server', async () => {
    const store = await openStore(freshDb(), { Filter: true });
    const id = new ObjectId();
    await store.set(
      'typed',
      sessionWith({ 'when.': new Date(86_400_000), id, bin: new Binary(Buffer.from('bytes'), 0x80), buf: Buffer.from('raw') }),
    );
    const back = (await store.get('typed')) as unknown as Record<string, unknown>;
    expect(back['when.']).to.be.instanceOf(Date).and.deep.equal(new Date(86_400_000));
    expect(back.id).to.be.instanceOf(ObjectId);
    expect((back.id as ObjectId).equals(id)).to.equal(true);
    expect(back.bin).to.be.instanceOf(Binary).with.property('sub_type', 0x80);
    expect(Buffer.from((back.bin as Binary).buffer).toString()).to.equal('bytes');
    expect(Buffer.isBuffer(back.buf)).to.equal(true);
    expect((back.buf as Buffer).toString()).to.equal('raw');
  });

  it('keeps Decimal128 values through the server', async function () {
    if (isFerretDB()) skipBecause(this, 'FerretDB v1 has no Decimal128; it drops the connection');
    const store = await openStore(freshDb(), { Filter: true });
    await store.set('dec', sessionWith({ 'price.eur': Decimal128.fromString('19.99') }));
    const back = (await store.get('dec')) as unknown as Record<string, unknown>;
    expect(back['price.eur']).to.be.instanceOf(Decimal128);
    expect(String(back['price.eur'])).to.equal('19.99');
  });

  for (const Filter of [false, true]) {
    it(`stored __proto__ and constructor names cannot pollute prototypes (Filter ${Filter})`, async () => {
      const db = freshDb();
      const store = await openStore(db, { Filter });
      const hostile = JSON.parse(
        '{"cookie": {"path": "/"}, "__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}',
      );
      await db.collection('Sessions').insertOne({ _id: 'evil' as never, SessionID: 'evil', Data: hostile });
      const back = (await store.get('evil')) as unknown as Record<string, unknown>;
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(Object.getPrototypeOf(back)).to.equal(Object.prototype);
      expect((back as { polluted?: unknown }).polluted).to.equal(undefined);
    });
  }

  it('without Filter, names with ., $ or \\0 end as an error before anything is sent, and the stored session stays', async () => {
    const store = await openStore(freshDb());
    await store.set('intact', sessionWith({ n: 1 }));
    for (const name of ['a.b', '$where', 'bad\0name']) {
      const err = await store.set('intact', sessionWith({ deep: [{ [name]: 1 }] })).catch((e: unknown) => e);
      expect(err, JSON.stringify(name))
        .to.be.instanceOf(TypeError)
        .with.property('message')
        .that.matches(/Filter option/);
    }
    expect(await store.get('intact')).to.deep.equal(sessionWith({ n: 1 }));
  });

  it('turning Filter on or off between deploys never changes a stored name', async () => {
    const db = freshDb();
    const plain = await openStore(db);
    await plain.set('written-plain', sessionWith({ 'manul-cat': 1, 'dot-': { '*-': 2 } }));
    const filtered = await openStore(db, { Filter: true });
    expect(await filtered.get('written-plain')).to.deep.equal(sessionWith({ 'manul-cat': 1, 'dot-': { '*-': 2 } }));
    await filtered.set('written-filtered', sessionWith({ 'x-csrf-token': 't', 'a.b.c': 1, $x: 2 }));
    expect(await plain.get('written-filtered')).to.deep.equal(sessionWith({ 'x-csrf-token': 't', 'a.b.c': 1, $x: 2 }));
    const names = (await plain.all()).map((session) => Object.keys(session).sort());
    expect(names).to.deep.include.members([
      ['cookie', 'dot-', 'id', 'manul-cat'],
      ['$x', 'a.b.c', 'cookie', 'id', 'x-csrf-token'],
    ]);
  });
});
