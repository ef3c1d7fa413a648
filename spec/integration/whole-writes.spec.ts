import { expect } from 'chai';
import type { SessionData } from 'express-session';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { serverUri, testClient } from '../support/server';
import { openStore, type SessionStore } from '../support/store';

/*
 * Every stored session is the result of one whole write, never a mix of two: its `Data`, its
 * user (`User`) and its expiry (`Expires`) all come from the same `set`. FerretDB v1 once took
 * a rename-only set in two steps (the other fields first, `Data` in a second round trip), and
 * another process's set landing between them left one write's `Data` beside the other's user:
 * revocation by user then missed that session.
 */

const ROUNDS = 240;
/** Sessions raced at once: enough to keep both clients busy, far below FerretDB's wedge (100 updates in flight). */
const BATCH = 8;
const PROGRESS_AFTER_MS = 10_000;
const HOUR = 3_600_000;

interface Cookie {
  path: string;
  httpOnly: boolean;
  originalMaxAge: number | null;
  expires?: Date;
}
const lasting = (): Cookie => ({ path: '/', httpOnly: true, originalMaxAge: HOUR, expires: new Date(Date.now() + HOUR) });
const browserSession = (): Cookie => ({ path: '/', httpOnly: true, originalMaxAge: null });
/** A session as a request leaves it, with fields of its own. */
const session = (fields: { cookie: Cookie } & Record<string, unknown>): SessionData => fields as unknown as SessionData;

/** Two processes of one app: each its own client (own connections) and store, on one collection. */
async function twoProcesses(name: string, FenceLateWrites: boolean) {
  const clients = [new MongoClient(serverUri(), { maxPoolSize: 20 }), new MongoClient(serverUri(), { maxPoolSize: 20 })];
  await Promise.all(clients.map((client) => client.connect()));
  const options = { UserKey: 'account.id', FenceLateWrites, OperationTimeoutMS: 60_000 };
  const [a, b] = (await Promise.all(clients.map((client) => openStore(client.db(name), options)))) as [SessionStore, SessionStore];
  return { a, b, close: () => Promise.all(clients.map((client) => client.close())) };
}

/**
 * Which user's write a stored document's `Data` came from, or what mixes it: its `User` and
 * `Expires` must be that write's (its session's user, its cookie's expiry).
 */
function writerOf(doc: Document | null): string {
  if (doc === null) return 'no document';
  const data = doc.Data as { account?: { id?: string }; cookie?: Cookie };
  const writer = data.account?.id ?? 'nobody';
  const expires = (doc.Expires as Date | undefined)?.getTime();
  if (doc.User === writer && expires === data.cookie?.expires?.getTime()) return writer;
  return `torn: Data from ${writer}'s write, User ${String(doc.User)}, Expires ${String(doc.Expires)}`;
}

async function race(a: SessionStore, b: SessionStore, sessions: Collection, sid: string): Promise<string> {
  const cookie = lasting();
  await a.set(sid, session({ cookie, pendingMfa: true, account: { id: 'alice' } }));
  // Each request read the session first, as express-session does before it saves.
  await Promise.all([a.get(sid), b.get(sid)]);
  await Promise.all([
    // Only names change (the MFA step): what FerretDB v1 skips in a plain `$set`.
    a.set(sid, session({ cookie, mfaVerified: true, account: { id: 'alice' } })),
    // Another process's request: another user, a cookie that ends with the browser session.
    b.set(sid, session({ cookie: browserSession(), cart: ['book'], account: { id: 'bob' } })),
  ]);
  const doc = await sessions.findOne({ SessionID: sid });
  const writer = writerOf(doc);
  const names = Object.keys((doc?.Data ?? {}) as object)
    .sort()
    .join();
  const expected = writer === 'alice' ? 'account,cookie,mfaVerified' : 'account,cart,cookie';
  return writer.startsWith('torn') || names === expected ? writer : `${writer}'s write with the names ${names}`;
}

describe('every document is the result of one whole write', () => {
  for (const FenceLateWrites of [false, true]) {
    it(`a rename-only set racing another process's set, ${ROUNDS} rounds: never one's Data with the other's User or Expires (FenceLateWrites ${FenceLateWrites})`, async function () {
      this.timeout(120_000);
      const name = `esm_test_whole_${process.pid}_${Date.now().toString(36)}_${FenceLateWrites ? 'fence' : 'plain'}`;
      const { a, b, close } = await twoProcesses(name, FenceLateWrites);
      const sessions = testClient().db(name).collection('Sessions');
      const started = Date.now();
      const winners = { alice: 0, bob: 0 };
      const wrong: string[] = [];
      try {
        for (let round = 0; round < ROUNDS; round += BATCH) {
          const ids = Array.from({ length: BATCH }, (_, i) => `r${round + i}`);
          const outcomes = await Promise.all(ids.map((sid) => race(a, b, sessions, sid)));
          outcomes.forEach((outcome, i) => {
            if (outcome === 'alice' || outcome === 'bob') winners[outcome]++;
            else wrong.push(`${ids[i]}: ${outcome}`);
          });
          // A small collection, as FerretDB reads all of it for any filter but `{ _id }` (the fence's).
          await sessions.deleteMany({});
          const elapsed = Date.now() - started;
          if (elapsed > PROGRESS_AFTER_MS && (round / BATCH) % 5 === 4) {
            console.log(`      ${round + BATCH}/${ROUNDS} rounds, ${wrong.length} wrong, ${(elapsed / 1000).toFixed(1)} s`);
          }
        }
      } finally {
        await close();
        await testClient().db(name).dropDatabase();
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`      stored whole: alice's rename ${winners.alice}, bob's ${winners.bob}; wrong ${wrong.length}; ${seconds} s`);
      expect(wrong, `${wrong.length} of ${ROUNDS} documents wrong`).to.deep.equal([]);
      // Both writes landed last in some rounds: the race was real, in both orders.
      expect(winners.alice).to.be.above(0);
      expect(winners.bob).to.be.above(0);
    });
  }

  it('a set clears the expiry another process stored after this one read the session', async () => {
    const name = `esm_test_whole_${process.pid}_${Date.now().toString(36)}_expires`;
    const { a, b, close } = await twoProcesses(name, false);
    try {
      await a.set('s', session({ cookie: browserSession(), account: { id: 'alice' } }));
      // This process reads a session with no expiry...
      expect(await a.get('s')).to.not.equal(null);
      // ...another stores one (a "remember me" request)...
      await b.set('s', session({ cookie: lasting(), account: { id: 'alice' } }));
      // ...and this process's request, which held the session since, saves it.
      await a.set('s', session({ cookie: browserSession(), account: { id: 'alice' }, saved: true }));
      const doc = await testClient().db(name).collection('Sessions').findOne({ SessionID: 's' });
      expect(doc?.Data).to.have.property('saved', true);
      expect(writerOf(doc)).to.equal('alice');
    } finally {
      await close();
      await testClient().db(name).dropDatabase();
    }
  });
});
