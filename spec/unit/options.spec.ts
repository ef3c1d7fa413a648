import { expect } from 'chai';
import { readOptions, type Settings } from '../../lib/calls/options';
import { debugLines } from '../support/debug-lines';

const DEFAULTS: Settings = {
  collectionName: 'Sessions',
  timeToLive: 0,
  indexSessionId: false,
  filter: false,
  deleteFlags: false,
  operationTimeoutMs: 10_000,
  touchInterval: 0,
  maxLifetime: 0,
  userKey: null,
  fenceLateWrites: undefined,
  sharedWith1x: true,
  adopt: null,
};

describe('options', () => {
  it('defaults as 1.x when omitted', () => {
    expect(readOptions(undefined)).to.deep.equal(DEFAULTS);
    expect(readOptions({})).to.deep.equal(DEFAULTS);
  });

  it('reads every option and ignores unknown keys', () => {
    expect(
      readOptions({
        CollectionName: 'S',
        TimeToLive: 60,
        IndexSessionID: true,
        Filter: true,
        DeleteFlags: true,
        OperationTimeoutMS: 0,
        TouchInterval: 10,
        MaxLifetime: 3600,
        FenceLateWrites: false,
        SharedWith1x: false,
        ConvertToUtf8: true,
        Other: 1,
      } as never),
    ).to.deep.equal({
      collectionName: 'S',
      timeToLive: 60,
      indexSessionId: true,
      filter: true,
      deleteFlags: true,
      operationTimeoutMs: 0,
      touchInterval: 10,
      maxLifetime: 3600,
      userKey: null,
      fenceLateWrites: false,
      sharedWith1x: false,
      adopt: null,
    });
  });

  it('accepts both spellings; when they disagree DeleteFlag wins, as 1.x read only it', async () => {
    expect(readOptions({ DeleteFlag: true }).deleteFlags).to.equal(true);
    expect(readOptions({ DeleteFlags: true }).deleteFlags).to.equal(true);
    expect(readOptions({ DeleteFlag: true, DeleteFlags: true }).deleteFlags).to.equal(true);
    const lines = await debugLines(() => {
      expect(readOptions({ DeleteFlag: true, DeleteFlags: false }).deleteFlags).to.equal(true);
      expect(readOptions({ DeleteFlag: 0, DeleteFlags: true } as never).deleteFlags).to.equal(false);
    });
    expect(lines.filter((line) => /disagree: DeleteFlag wins/.test(line))).to.have.length(2);
  });

  // What 1.x's constructor made of each value (LEGACY-API.md, "How 1.x read its options").
  const loose: Array<[string, object, Partial<Settings>, RegExp]> = [
    ['IndexSessionID: 1', { IndexSessionID: 1 }, { indexSessionId: true }, /IndexSessionID: 1 read as true/],
    ['IndexSessionID: "no"', { IndexSessionID: 'no' }, { indexSessionId: true }, /IndexSessionID: "no" read as true/],
    ['Filter: "true"', { Filter: 'true' }, { filter: true }, /Filter: "true" read as true/],
    ['Filter: 0', { Filter: 0 }, { filter: false }, /Filter: 0 read as false/],
    ['Filter: null', { Filter: null }, { filter: false }, /Filter: null read as false/],
    ['DeleteFlag: 0', { DeleteFlag: 0 }, { deleteFlags: false }, /DeleteFlag: 0 read as false/],
    ['DeleteFlag: "yes"', { DeleteFlag: 'yes' }, { deleteFlags: true }, /DeleteFlag: "yes" read as true/],
    ['DeleteFlags: 1', { DeleteFlags: 1 }, { deleteFlags: true }, /DeleteFlags: 1 read as true/],
    ['TimeToLive: -1', { TimeToLive: -1 }, { timeToLive: 0 }, /TimeToLive: -1 read as 0/],
    ['TimeToLive: ""', { TimeToLive: '' }, { timeToLive: 0 }, /TimeToLive: "" read as 0/],
    ['TimeToLive: "abc"', { TimeToLive: 'abc' }, { timeToLive: 0 }, /TimeToLive: "abc" read as 0/],
    ['TimeToLive: false', { TimeToLive: false }, { timeToLive: 0 }, /TimeToLive: false read as 0/],
    ['TimeToLive: null', { TimeToLive: null }, { timeToLive: 0 }, /TimeToLive: null read as 0/],
    ['TimeToLive: NaN', { TimeToLive: NaN }, { timeToLive: 0 }, /TimeToLive: NaN read as 0/],
    ['TimeToLive: "100"', { TimeToLive: '100' }, { timeToLive: 100 }, /TimeToLive: "100" read as 100 s/],
    ['TimeToLive: 1.5', { TimeToLive: 1.5 }, { timeToLive: 2 }, /TimeToLive: 1.5 read as 2 s/],
    ['CollectionName: ""', { CollectionName: '' }, { collectionName: 'Sessions' }, /CollectionName: "" read as "Sessions"/],
    ['CollectionName: 0', { CollectionName: 0 }, { collectionName: 'Sessions' }, /CollectionName: 0 read as "Sessions"/],
    ['CollectionName: null', { CollectionName: null }, { collectionName: 'Sessions' }, /CollectionName: null read as "Sessions"/],
  ];
  for (const [name, options, expected, line] of loose) {
    it(`reads ${name} as 1.x did, with one debug line`, async () => {
      let settings: Settings | undefined;
      const lines = await debugLines(() => (settings = readOptions(options)));
      expect(settings).to.deep.equal({ ...DEFAULTS, ...expected });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(line);
    });
  }

  it('logs nothing for values of the documented types', async () => {
    const lines = await debugLines(() =>
      readOptions({ CollectionName: 'S', TimeToLive: 60, IndexSessionID: false, Filter: true, DeleteFlags: false }),
    );
    expect(lines).to.deep.equal([]);
  });

  const bad: Array<[string, unknown, ErrorConstructor, RegExp]> = [
    ['infinite TimeToLive', { TimeToLive: Infinity }, RangeError, /TimeToLive/],
    ['a TimeToLive no server accepts', { TimeToLive: 2 ** 31 }, RangeError, /TimeToLive/],
    ['TimeToLive: true (a server would get a boolean as expireAfterSeconds)', { TimeToLive: true }, TypeError, /TimeToLive/],
    ['a Date as TimeToLive', { TimeToLive: new Date() }, TypeError, /TimeToLive/],
    ['negative OperationTimeoutMS', { OperationTimeoutMS: -1 }, RangeError, /OperationTimeoutMS/],
    ['OperationTimeoutMS a timer cannot hold', { OperationTimeoutMS: 2 ** 31 }, RangeError, /OperationTimeoutMS.*2147483647/],
    ['string OperationTimeoutMS', { OperationTimeoutMS: '5s' }, TypeError, /OperationTimeoutMS/],
    ['fractional TouchInterval', { TouchInterval: 0.5 }, RangeError, /TouchInterval/],
    ['TouchInterval not shorter than TimeToLive', { TimeToLive: 60, TouchInterval: 60 }, RangeError, /shorter than TimeToLive/],
    ['TouchInterval not shorter than a loose TimeToLive', { TimeToLive: '60', TouchInterval: 60 }, RangeError, /shorter than TimeToLive/],
    ['string TouchInterval', { TouchInterval: '60' }, TypeError, /TouchInterval/],
    ['negative MaxLifetime', { MaxLifetime: -1 }, RangeError, /MaxLifetime/],
    ['fractional MaxLifetime', { MaxLifetime: 1.5 }, RangeError, /MaxLifetime/],
    ['string MaxLifetime', { MaxLifetime: '3600' }, TypeError, /MaxLifetime/],
    ['truthy FenceLateWrites', { FenceLateWrites: 1 }, TypeError, /FenceLateWrites must be true or false/],
    ['falsy SharedWith1x', { SharedWith1x: 0 }, TypeError, /SharedWith1x must be true or false/],
    ['CollectionName with $', { CollectionName: 'a$b' }, RangeError, /CollectionName/],
    ['system. CollectionName', { CollectionName: 'system.x' }, RangeError, /CollectionName/],
    ['number CollectionName', { CollectionName: 5 }, TypeError, /CollectionName/],
    ['object CollectionName', { CollectionName: { name: 'S' } }, TypeError, /CollectionName/],
    ['a UserKey that is neither a path nor a function', { UserKey: ['passport', 'user'] }, TypeError, /Option UserKey.*array/],
    ['a UserKey path with an empty name', { UserKey: 'passport..user' }, RangeError, /Option UserKey/],
    ['an empty UserKey', { UserKey: '' }, RangeError, /Option UserKey/],
  ];
  it('options that are not an object are read as 1.x read them (`Options && Options.Name`), with a debug line', async () => {
    const defaults = readOptions({});
    for (const options of [false, 0, '', true, 'Sessions', 5, [], () => {}]) {
      const lines = await debugLines(() => expect(readOptions(options), String(options)).to.deep.equal(defaults));
      expect(lines, String(options)).to.have.length(1);
      expect(lines[0]).to.match(/options: .* read .*, as 1\.x did/);
    }
    const withProperties = Object.assign(() => {}, { CollectionName: 'Mine', IndexSessionID: true });
    expect(readOptions(withProperties)).to.deep.include({ collectionName: 'Mine', indexSessionId: true });
  });

  for (const [name, options, type, message] of bad) {
    it(`refuses ${name}`, () => {
      expect(() => readOptions(options)).to.throw(type, message);
    });
  }

  it('UserKey: a dotted path reads own properties only; a function is called with the session', () => {
    const byPath = readOptions({ UserKey: 'passport.user' }).userKey!;
    expect(byPath({ passport: { user: 'u1' } })).to.equal('u1');
    expect(byPath({ passport: {} })).to.equal(undefined);
    expect(byPath({})).to.equal(undefined);
    expect(byPath({ passport: 'not an object' })).to.equal(undefined);
    // Not the prototype chain: `{}.passport.constructor` is no user.
    expect(readOptions({ UserKey: 'passport.constructor' }).userKey!({ passport: {} })).to.equal(undefined);
    const byFunction = readOptions({ UserKey: (session: { who?: string }) => session.who } as never).userKey!;
    expect(byFunction({ who: 'u2' })).to.equal('u2');
  });

  it("Adopt: a store's name takes its defaults, an object its options, and the collection defaults to theirs", () => {
    const adopted = (options: object) => {
      const { adopt, collectionName } = readOptions(options);
      return { collectionName, ...adopt, codec: typeof adopt?.codec };
    };
    const defaults = { fallbackMs: 1_209_600_000, lastModified: false, timestamps: false, writeTheirs: true, codec: 'object' };
    expect(adopted({ Adopt: 'connect-mongo' })).to.deep.equal({ collectionName: 'sessions', from: 'connect-mongo', ...defaults });
    expect(adopted({ Adopt: 'connect-mongodb-session', CollectionName: 'web' })).to.deep.equal({
      collectionName: 'web',
      from: 'connect-mongodb-session',
      ...defaults,
    });
    expect(adopted({ Adopt: { from: 'connect-mongo', ttl: 3600, touchAfter: 60, timestamps: true, writeTheirs: false } })).to.deep.equal({
      collectionName: 'sessions',
      from: 'connect-mongo',
      fallbackMs: 3_600_000,
      lastModified: true,
      timestamps: true,
      writeTheirs: false,
      codec: 'object',
    });
    expect(adopted({ Adopt: { from: 'connect-mongodb-session', expires: 60_000 } }).fallbackMs).to.equal(60_000);
    expect(() => readOptions({ Adopt: 'connect-mongo', IndexSessionID: true })).to.throw(TypeError, /have no SessionID/);
    const key = 'k'.repeat(32);
    expect(() => readOptions({ Adopt: 'connect-mongo', EncryptionKeys: [key] })).to.throw(TypeError, /writeTheirs: false/);
    expect(readOptions({ Adopt: { from: 'connect-mongo', writeTheirs: false }, EncryptionKeys: [key] }).adopt?.writeTheirs).to.equal(false);
  });
});
