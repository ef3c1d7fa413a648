import { expect } from 'chai';
import { createWebCryptoAdapter, MongoStore, type CryptoAdapter, type CryptoOptions } from 'connect-mongo';
import { MongoClient, type Db } from 'mongodb';
import { connectMongoCipher } from '../../lib/stored/connect-mongo-crypto';
import { Browser, startApp } from '../support/http';
import { freshDb, serverUri } from '../support/server';
import type { SessionStore } from '../support/store';

/*
 * The real connect-mongo 6, encrypting, in an express app over the test server: the `session`
 * field it writes opens with the cipher made from the same options, and what the cipher seals
 * into that field is what connect-mongo then serves over HTTP, with real cookies.
 */

interface ConnectMongoDoc {
  _id: string;
  session: unknown;
  expires: Date;
}

interface Encryption {
  crypto?: CryptoOptions;
  cryptoAdapter?: CryptoAdapter;
  stringify?: boolean;
}

/** A connect-mongo 6 app on its own client (its close() closes the client it was given). */
async function connectMongoApp(db: Db, encryption: Encryption): Promise<{ browser: Browser; close(): Promise<void> }> {
  const client = await new MongoClient(serverUri()).connect();
  // 'disabled': FerretDB refuses the TTL index that 'native' asks for.
  const store = MongoStore.create({ client, dbName: db.databaseName, autoRemove: 'disabled', ...encryption });
  await store.collectionP;
  const app = await startApp(store as unknown as SessionStore);
  return {
    browser: new Browser(app.url),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** connect-mongo writes a session, the cipher reads it; the cipher seals a change, connect-mongo serves it. */
async function bothWays(encryption: Encryption, adopt: Parameters<typeof connectMongoCipher>[0]): Promise<void> {
  const db = freshDb();
  const cipher = connectMongoCipher(adopt)!;
  const app = await connectMongoApp(db, encryption);
  try {
    const { browser } = app;
    expect((await browser.get('/set?name=MARKER-ada')).body).to.deep.include({ values: { name: 'MARKER-ada' } });
    const sessions = db.collection<ConnectMongoDoc>('sessions');
    const doc = (await sessions.findOne({ _id: browser.sessionId! }))!;
    expect(doc.session).to.be.a('string').and.not.include('MARKER');

    const opened = JSON.parse((await cipher.open(doc.session as string))!) as { cookie: object; values: object };
    expect(opened.values).to.deep.equal({ name: 'MARKER-ada' });
    expect(opened.cookie).to.include({ path: '/', httpOnly: true });
    // express-session reads originalMaxAge off the expiry it has just set: a millisecond may pass between.
    expect((opened.cookie as { originalMaxAge: number }).originalMaxAge).to.be.within(3_599_000, 3_600_000);

    const changed = { ...opened, values: { name: 'sealed here' } };
    await sessions.updateOne({ _id: doc._id }, { $set: { session: await cipher.seal(JSON.stringify(changed)) } });
    const served = await browser.get('/get');
    expect(served.body).to.deep.equal({ id: browser.sessionId, values: { name: 'sealed here' } });
  } finally {
    await app.close();
  }
}

describe("connect-mongo's encrypted sessions (Adopt.crypto, Adopt.cryptoAdapter)", () => {
  it('opens what connect-mongo 6 with crypto: { secret } stores, and seals what it serves', async () => {
    const crypto = { secret: 'squirrel' };
    await bothWays({ crypto }, { crypto });
  });

  it('does the same with non-default crypto options and stringify: false', async () => {
    const crypto = { secret: 'squirrel', algorithm: 'aes-128-gcm', hashing: 'sha256', encodeas: 'hex' };
    await bothWays({ crypto, stringify: false }, { crypto });
  });

  it('does the same through the very cryptoAdapter connect-mongo was given (its web crypto adapter)', async () => {
    const cryptoAdapter = createWebCryptoAdapter({ secret: 'a web crypto secret', iterations: 1000 });
    await bothWays({ cryptoAdapter }, { cryptoAdapter });
  });

  it('reads a session connect-mongo sealed with another secret as missing', async () => {
    const db = freshDb();
    const app = await connectMongoApp(db, { crypto: { secret: 'squirrel' } });
    try {
      await app.browser.get('/set?name=MARKER-ada');
      const doc = (await db.collection<ConnectMongoDoc>('sessions').findOne({ _id: app.browser.sessionId! }))!;
      expect(await connectMongoCipher({ crypto: { secret: 'not squirrel' } })!.open(doc.session as string)).to.equal(undefined);
    } finally {
      await app.close();
    }
  });
});
