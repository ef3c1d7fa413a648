import { inspect } from 'node:util';
import { expect } from 'chai';
import createDebug from 'debug';
import { MongoServerError } from 'mongodb';
import { sanitizeError, SessionStoreServerError } from '../../lib/calls/server-errors';
import { freshDb, isFerretDB } from '../support/server';
import { openStore, sessionWith } from '../support/store';

// Appears in session data or IDs only; finding it in an error or a debug line is a leak.
const MARKER = 'leak-marker-7f3a9c';

/** Everything an application could log of an error: message, properties, the cause chain. */
function everything(err: unknown): string {
  return (
    inspect(err, { depth: null, showHidden: true }) +
    JSON.stringify(err, (_key, value: unknown) => (value instanceof Set ? [...value] : value))
  );
}

describe('server errors that can quote session data', () => {
  it('are replaced by an error naming the operation and code, keeping labels, dropping message and cause', () => {
    const raw = new MongoServerError({
      ok: 0,
      code: 11000,
      codeName: 'DuplicateKey',
      errmsg: `E11000 dup key: { _id: "${MARKER}" }`,
      keyValue: { _id: MARKER },
    });
    raw.addErrorLabel('NoWritesPerformed');
    const safe = sanitizeError(raw, 'set');
    expect(safe).to.be.instanceOf(SessionStoreServerError).with.property('code', 11000);
    expect(safe).to.have.property('codeName', 'DuplicateKey');
    expect(safe)
      .to.have.property('message')
      .that.matches(/^Session store set: the server refused the operation \(code 11000 DuplicateKey\)/);
    expect((safe as SessionStoreServerError).errorLabels).to.deep.equal(['NoWritesPerformed']);
    expect(everything(safe)).not.to.include(MARKER);
    // The test can fail: the driver's own error holds the marker.
    expect(everything(raw)).to.include(MARKER);
  });

  it("are replaced along the cause chain of the store's own errors; other errors pass through", () => {
    const own = new RangeError('Session is 17000000 bytes, over the 16 MB BSON document limit', {
      cause: new MongoServerError({ ok: 0, code: 2, errmsg: `invalid value: { "x": "${MARKER}" }` }),
    });
    expect(sanitizeError(own, 'set')).to.equal(own);
    expect(own.cause).to.be.instanceOf(SessionStoreServerError);
    expect(everything(own)).not.to.include(MARKER);
    const refusal = new TypeError('Session ID must be a string, got number');
    expect(sanitizeError(refusal)).to.equal(refusal);
    expect(sanitizeError('text')).to.equal('text');
  });

  for (const Filter of [false, true]) {
    it(`never reach the caller or the debug output from the server (Filter ${Filter})`, async () => {
      const lines: string[] = [];
      const log = createDebug.log;
      createDebug.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
      createDebug.enable('express-session-mongodb*');
      try {
        const db = freshDb();
        const store = await openStore(db, { Filter, IndexSessionID: true });
        const errors: unknown[] = [];
        // FerretDB v1 refuses nested arrays quoting the value; MongoDB stores them.
        const nested = await store.set('nested', sessionWith({ grid: [[MARKER]] })).catch((e: unknown) => e);
        if (isFerretDB()) errors.push(nested);
        await store.close();
        expect(errors).to.have.length(isFerretDB() ? 1 : 0);
        for (const err of errors) {
          expect(err)
            .to.be.instanceOf(SessionStoreServerError)
            .with.property('message')
            .that.matches(/^Session store set: /);
          expect(everything(err)).not.to.include(MARKER);
        }
        for (const line of lines) expect(line).not.to.include(MARKER);
      } finally {
        createDebug.disable();
        createDebug.log = log;
      }
    });
  }

  it('quote data when sent by the driver directly, so the test above can fail', async () => {
    const sessions = freshDb().collection('Sessions');
    await sessions.createIndex({ SessionID: 1 }, { unique: true });
    await sessions.insertOne({ _id: 'a' as never, SessionID: MARKER });
    const errors = [
      await sessions.insertOne({ _id: 'b' as never, SessionID: 'b', grid: [[MARKER]] }).catch((e: unknown) => e),
      await sessions.insertOne({ _id: 'c' as never, SessionID: MARKER }).catch((e: unknown) => e),
    ];
    expect(errors.filter((err) => err instanceof Error && everything(err).includes(MARKER))).to.have.length.at.least(1);
  });
});
