import { expect } from 'chai';
import { checkSessionId, MAX_SESSION_ID_LENGTH } from '../../lib/calls/session-id';

describe('session IDs', () => {
  it('passes strings through', () => {
    expect(checkSessionId('abc')).to.equal('abc');
    expect(checkSessionId('x'.repeat(MAX_SESSION_ID_LENGTH))).to.have.length(MAX_SESSION_ID_LENGTH);
    expect(checkSessionId('sess-\u{1F600}-é')).to.equal('sess-\u{1F600}-é');
  });

  const refused: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an operator object', { $ne: null }],
    ['a $gt object', { $gt: '' }],
    ['an array', ['a']],
    ['a boolean', true],
    ['an empty string', ''],
    ['a string over the limit', 'x'.repeat(MAX_SESSION_ID_LENGTH + 1)],
    ['a lone high surrogate', 'abc\uD800'],
    ['a lone low surrogate', '\uDC00abc'],
    ['surrogates in the wrong order', 'a\uDC00\uD800b'],
  ];
  for (const [name, sid] of refused) {
    it(`refuses ${name}`, () => {
      expect(() => checkSessionId(sid)).to.throw(Error, /Session ID/);
    });
  }
});
