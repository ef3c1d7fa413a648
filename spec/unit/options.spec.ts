import { expect } from 'chai';
import { readOptions } from '../../lib/options';

describe('options', () => {
  it('defaults as 1.x when omitted', () => {
    const expected = {
      collectionName: 'Sessions',
      timeToLive: 0,
      indexSessionId: false,
      filter: false,
      deleteFlags: false,
      operationTimeoutMs: 10_000,
      touchInterval: 0,
      maxLifetime: 0,
    };
    expect(readOptions(undefined)).to.deep.equal(expected);
    expect(readOptions({})).to.deep.equal(expected);
  });

  it('reads every 1.x option and ignores unknown keys', () => {
    expect(
      readOptions({
        CollectionName: 'S',
        TimeToLive: 60,
        IndexSessionID: true,
        Filter: true,
        DeleteFlags: true,
        OperationTimeoutMS: 0,
        TouchInterval: 10,
        ConvertToUtf8: true,
        Other: 1,
      }),
    ).to.deep.equal({
      collectionName: 'S',
      timeToLive: 60,
      indexSessionId: true,
      filter: true,
      deleteFlags: true,
      operationTimeoutMs: 0,
      touchInterval: 10,
      maxLifetime: 0,
    });
  });

  it('accepts the 1.x code spelling DeleteFlag', () => {
    expect(readOptions({ DeleteFlag: true }).deleteFlags).to.equal(true);
    expect(readOptions({ DeleteFlag: true, DeleteFlags: true }).deleteFlags).to.equal(true);
    expect(() => readOptions({ DeleteFlag: true, DeleteFlags: false })).to.throw(RangeError, /DeleteFlags and DeleteFlag/);
  });

  const bad: Array<[string, unknown, ErrorConstructor, RegExp]> = [
    ['negative TimeToLive', { TimeToLive: -1 }, RangeError, /TimeToLive/],
    ['fractional TimeToLive', { TimeToLive: 1.5 }, RangeError, /TimeToLive/],
    ['infinite TimeToLive', { TimeToLive: Infinity }, RangeError, /TimeToLive/],
    ['string TimeToLive', { TimeToLive: '60' }, TypeError, /TimeToLive/],
    ['string Filter', { Filter: 'true' }, TypeError, /Filter/],
    ['negative OperationTimeoutMS', { OperationTimeoutMS: -1 }, RangeError, /OperationTimeoutMS/],
    ['string OperationTimeoutMS', { OperationTimeoutMS: '5s' }, TypeError, /OperationTimeoutMS/],
    ['fractional TouchInterval', { TouchInterval: 0.5 }, RangeError, /TouchInterval/],
    ['TouchInterval not shorter than TimeToLive', { TimeToLive: 60, TouchInterval: 60 }, RangeError, /shorter than TimeToLive/],
    ['string TouchInterval', { TouchInterval: '60' }, TypeError, /TouchInterval/],
    ['number IndexSessionID', { IndexSessionID: 1 }, TypeError, /IndexSessionID/],
    ['string DeleteFlags', { DeleteFlags: 'yes' }, TypeError, /DeleteFlags/],
    ['string DeleteFlag', { DeleteFlag: 'yes' }, TypeError, /DeleteFlag/],
    ['empty CollectionName', { CollectionName: '' }, RangeError, /CollectionName/],
    ['CollectionName with $', { CollectionName: 'a$b' }, RangeError, /CollectionName/],
    ['system. CollectionName', { CollectionName: 'system.x' }, RangeError, /CollectionName/],
    ['number CollectionName', { CollectionName: 5 }, TypeError, /CollectionName/],
    ['options that are not an object', 'Sessions', TypeError, /Options/],
  ];
  for (const [name, options, type, message] of bad) {
    it(`refuses ${name}`, () => {
      expect(() => readOptions(options)).to.throw(type, message);
    });
  }
});
