import { expect } from 'chai';
import { Decimal128 } from 'mongodb';
import { detectServerLimits } from '../../lib/stored/bson-limits';
import { checkData, escapeData } from '../../lib/stored/key-filter';
import { freshDb, isFerretDB } from '../support/server';

describe('server limits', () => {
  it('tell FerretDB v1, which drops the connection on Decimal128, from servers that store it', async () => {
    const limits = await detectServerLimits(freshDb());
    expect(limits).to.deep.equal({ decimal128: !isFerretDB(), skipsRenames: isFerretDB() });
    const data = { price: Decimal128.fromString('19.99') };
    for (const walk of [() => escapeData(data, limits), () => checkData(data, limits)]) {
      if (isFerretDB()) expect(walk).to.throw(TypeError, /Decimal128/);
      else expect(walk).not.to.throw();
    }
  });
});
