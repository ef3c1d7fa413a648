import { expect } from 'chai';
import createDebug from 'debug';
import sinon from 'sinon';
import { MAX_SESSION_ID_LENGTH } from '../../lib/calls/session-id';
import { freshDb } from '../support/server';
import { openStore, sessionWith, sleep, type SessionStore } from '../support/store';

type Outcome = { err: Error | null; value: unknown; calls: number };

/** Runs a callback-style call; reports its outcome a while after the first callback, so a second would show. */
function callback(run: (cb: (err: Error | null, value?: unknown) => void) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { err: null, value: undefined, calls: 0 };
    run((err, value) => {
      if (outcome.calls++ === 0) setTimeout(() => resolve(outcome), 100);
      outcome.err = err;
      outcome.value = value;
    });
  });
}

const SECRET = 'top-secret-session-content';

describe('hostile and malformed input', () => {
  for (const Filter of [false, true]) {
    describe(`Filter ${Filter}`, () => {
      let store: SessionStore;
      before(async () => {
        store = await openStore(freshDb(), { Filter });
        await store.set('victim', sessionWith({ secret: SECRET }));
      });
      afterEach(async () => {
        // Whatever was refused, the stored session is intact.
        expect(await store.get('victim')).to.deep.equal(sessionWith({ secret: SECRET }));
      });

      const ids: Array<[string, unknown]> = [
        ['undefined', undefined],
        ['null', null],
        ['a number', 1],
        ['NaN', NaN],
        ['{ $ne: null }', { $ne: null }],
        ['{ $gt: "" }', { $gt: '' }],
        ['{ $regex: ".*" }', { $regex: '.*' }],
        ['an array', ['victim']],
        ['a boolean', false],
        ['an empty string', ''],
        ['a very long string', 'v'.repeat(MAX_SESSION_ID_LENGTH + 1)],
        ['a 10 MB string', 'v'.repeat(10 * 1024 * 1024)],
        // Both would be stored as "victim\uFFFD", one document for two IDs.
        ['with a lone high surrogate', 'victim\uD800'],
        ['with a lone low surrogate', 'victim\uDC00'],
      ];
      for (const [name, sid] of ids) {
        it(`session ID ${name}: get, set, destroy, touch each call back once with an Error`, async () => {
          for (const run of [
            (cb: (err: Error | null) => void) => store.get(sid as string, cb),
            (cb: (err: Error | null) => void) => store.set(sid as string, sessionWith({ hijack: true }), cb),
            (cb: (err: Error | null) => void) => store.destroy(sid as string, cb),
            (cb: (err: Error | null) => void) => store.touch(sid as string, sessionWith({}), cb),
          ]) {
            const outcome = await callback(run);
            expect(outcome.calls).to.equal(1);
            expect(outcome.err)
              .to.be.instanceOf(Error)
              .with.property('message')
              .that.matches(/Session ID/);
          }
        });
      }

      const refused: Array<[string, () => unknown, RegExp]> = [
        ['null', () => null, /must be an object/],
        ['a string', () => 'text', /must be an object/],
        ['a number', () => 42, /must be an object/],
        ['an array', () => [1], /must be an object/],
        [
          'a circular structure',
          () => {
            const data: Record<string, unknown> = { cookie: {} };
            data.self = { back: data };
            return data;
          },
          /circular/,
        ],
        ['a session over the 16 MB BSON limit', () => sessionWith({ blob: 'x'.repeat(17 * 1024 * 1024) }), /16 MB/],
        [
          'nesting 20,000 levels deep',
          () => {
            let data: Record<string, unknown> = { leaf: true };
            for (let i = 0; i < 20_000; i++) data = { n: data };
            return sessionWith({ deep: data });
          },
          /levels deep/,
        ],
        ['a BigInt over 64 bits', () => sessionWith({ big: 2n ** 70n }), /BigInt/],
      ];
      for (const [name, make, message] of refused) {
        it(`session value ${name}: one callback with a clear Error, the stored session intact`, async () => {
          const outcome = await callback((cb) => store.set('victim', make() as never, cb));
          expect(outcome.calls).to.equal(1);
          expect(outcome.err).to.be.instanceOf(Error).with.property('message').that.matches(message);
          expect(outcome.err!.message).not.to.include(SECRET);
        });
      }

      it("stores sessions nested up to MongoDB's limit and refuses one level more before sending", async () => {
        const nested = (levels: number): Record<string, unknown> => {
          let data: Record<string, unknown> = { cookie: {} }; // the root and cookie: 2 levels
          for (let i = 2; i < levels; i++) data = { cookie: {}, n: data };
          return data;
        };
        await store.set('deep', nested(99) as never);
        expect(await store.get('deep')).to.deep.equal(nested(99));
        const err = await store.set('deep', nested(100) as never).catch((e: unknown) => e);
        expect(err)
          .to.be.instanceOf(RangeError)
          .with.property('message')
          .that.matches(/100 levels deep/);
      });

      it('stores functions, symbols, undefined and BigInt as documented', async () => {
        await store.set('odd', sessionWith({ fn: () => 1, sym: Symbol('s'), [Symbol('key')]: 1, none: undefined, big: 5n }));
        const back = (await store.get('odd')) as unknown as Record<string, unknown>;
        expect(back).not.to.have.property('fn');
        expect(back).not.to.have.property('sym');
        expect(back.none).to.equal(null);
        expect(back.big).to.equal(5);
      });

      it('refuses NaN and infinities on every server before sending: no connection drops, no other call fails', async () => {
        let disconnects = 0;
        store.on('disconnect', () => disconnects++);
        const values = [NaN, Infinity, -Infinity, Number('12 apples')];
        const outcomes = await Promise.all([
          ...values.map((value) => store.set('number', sessionWith({ qty: value })).catch((err: unknown) => err)),
          ...Array.from({ length: 20 }, () => store.get('victim')),
        ]);
        for (const err of outcomes.slice(0, values.length)) {
          expect(err)
            .to.be.instanceOf(RangeError)
            .with.property('message')
            .that.matches(/NaN or an infinite/);
        }
        for (const session of outcomes.slice(values.length)) expect(session).to.deep.equal(sessionWith({ secret: SECRET }));
        expect(await store.get('number')).to.equal(null);
        expect(disconnects).to.equal(0);
      });

      const alteredBefore: Array<[string, () => object, RegExp]> = [
        ['an invalid Date', () => ({ at: new Date(NaN) }), /invalid Date/],
        ['a string with a lone surrogate', () => ({ text: 'a\uD800b' }), /lone surrogate/],
        ['a name with a lone surrogate', () => ({ ['a\uD800']: 1 }), /lone surrogate/],
        ['a Float64Array', () => ({ v: new Float64Array([1.5]) }), /Float64Array/],
        ['a Set', () => ({ v: new Set([1]) }), /Set/],
        ['a Map', () => ({ v: new Map([['a', 1]]) }), /Map/],
        ['an ArrayBuffer', () => ({ v: new ArrayBuffer(8) }), /ArrayBuffer/],
      ];
      for (const [name, make, message] of alteredBefore) {
        it(`refuses ${name}, which the server would have stored altered`, async () => {
          const err = await store.set('altered', sessionWith(make())).catch((e: unknown) => e);
          expect(err).to.be.instanceOf(Error).with.property('message').that.matches(message);
          expect(await store.get('altered')).to.equal(null);
        });
      }

      it('refuses a sparse array of length 1e8 at once', async () => {
        const sparse: unknown[] = [];
        sparse.length = 1e8;
        const started = Date.now();
        const err = await store.set('sparse', sessionWith({ sparse })).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(RangeError).with.property('message').that.matches(/16 MB/);
        expect(Date.now() - started).to.be.below(500);
      });

      it('refuses a session whose getter makes a new child on every read, at the depth limit', async () => {
        const endless = (): object => ({
          get child() {
            return endless();
          },
        });
        const err = await store.set('endless', sessionWith({ endless: endless() })).catch((e: unknown) => e);
        expect(err)
          .to.be.instanceOf(RangeError)
          .with.property('message')
          .that.matches(/levels deep/);
      });

      it('round-trips names that exist on Object.prototype, holding arrays of objects', async () => {
        const names = ['constructor', 'valueOf', 'toString', 'hasOwnProperty', 'isPrototypeOf', 'toLocaleString', 'propertyIsEnumerable'];
        const data = Object.fromEntries(names.map((name, i) => [name, [{ n: i, inner: [{ deep: name }] }, { m: i }]]));
        const session = sessionWith({ ...data, nested: { ...data } });
        await store.set('proto-names', session);
        expect(await store.get('proto-names')).to.deep.equal(session);
        const listed = (await store.all()).find((s) => (s as { id?: string }).id === 'proto-names');
        expect(listed).to.deep.equal({ ...session, id: 'proto-names' });
      });
    });
  }

  describe('callbacks that throw', () => {
    it('are called once, and the exception surfaces as uncaught instead of being swallowed', async () => {
      const store = await openStore(freshDb());
      const listeners = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      const caught: unknown[] = [];
      process.on('uncaughtException', (err) => caught.push(err));
      try {
        let calls = 0;
        for (const run of [
          (cb: () => void) => store.set('t', sessionWith({}), cb),
          (cb: () => void) => store.get('t', cb),
          (cb: () => void) => store.get({ bad: 1 } as never, cb),
          (cb: () => void) => store.length(cb),
        ]) {
          run(() => {
            calls++;
            throw new Error(`thrown by callback ${calls}`);
          });
          await sleep(100);
        }
        expect(calls).to.equal(4);
        expect(caught.map((e) => (e as Error).message)).to.deep.equal([1, 2, 3, 4].map((n) => `thrown by callback ${n}`));
      } finally {
        process.removeAllListeners('uncaughtException');
        for (const listener of listeners) process.on('uncaughtException', listener);
      }
    });
  });

  describe('what the store says', () => {
    it('writes nothing to the console, even on errors and with DEBUG unset', async () => {
      const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((name) => sinon.spy(console, name));
      try {
        const store = await openStore(freshDb(), { TimeToLive: 1 });
        await store.set('s', sessionWith({ n: 1 }));
        await store.get('s');
        await store.set('s', null as never).catch(() => {});
        await store.get({} as never).catch(() => {});
        await store.close();
      } finally {
        sinon.restore();
      }
      for (const spy of spies) expect(spy.callCount).to.equal(0);
    });

    it('never puts session contents in error messages or debug output', async () => {
      const lines: string[] = [];
      const log = createDebug.log;
      createDebug.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
      createDebug.enable('express-session-mongodb*');
      try {
        const db = freshDb();
        const store = await openStore(db, { TimeToLive: 1, Filter: true });
        await store.set('s', sessionWith({ secret: SECRET }));
        const errors: unknown[] = [];
        errors.push(await store.set('s', sessionWith({ secret: SECRET, big: 2n ** 80n })).catch((e: unknown) => e));
        errors.push(await store.set('s', sessionWith({ secret: SECRET, blob: 'x'.repeat(17 * 1024 * 1024) })).catch((e: unknown) => e));
        const unfiltered = await openStore(db);
        errors.push(await unfiltered.set('s', sessionWith({ [`${SECRET}.name`]: SECRET })).catch((e: unknown) => e));
        await db.collection('Sessions').updateOne({ _id: 's' as never }, { $set: { Data: SECRET } });
        errors.push(await store.get('s').catch((e: unknown) => e));
        await sleep(1_200);
        await store.close();
        expect(errors).to.have.length(4);
        for (const err of errors) {
          expect(err).to.be.instanceOf(Error);
          expect(String((err as Error).message)).not.to.include(SECRET);
        }
        expect(lines.length).to.be.greaterThan(0);
        for (const line of lines) expect(line).not.to.include(SECRET);
      } finally {
        createDebug.disable();
        createDebug.log = log;
      }
    });
  });
});
