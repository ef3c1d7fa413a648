import { expect } from 'chai';
import { Admin, MongoClient, type CommandStartedEvent, type Db, type Document } from 'mongodb';
import sinon from 'sinon';
import { detectLayout } from '../../lib/writes/layout';
import type { SessionDocument } from '../../lib/stored/document';
import { lookupInUse } from '../support/lookup';
import { isFerretDB, serverUri, skipBecause } from '../support/server';
import { madeHere, openStore, sessionWith } from '../support/store';

const ANY_1X = { _id: { $type: 'objectId' } };

/** The filter every single-session command sends: `{ _id }`, or with `either` lookups also 1.x's document. */
function keyOf(sid: string): Document {
  if (lookupInUse(isFerretDB()) === 'two-step') return { _id: sid };
  return { $or: [{ _id: sid }, { _id: { $type: 'objectId' }, SessionID: sid }] };
}

/** The filter of a single-session command, whatever its kind. */
function filterOf(event: CommandStartedEvent): Document | undefined {
  const command = event.command;
  if (command.find || command.findAndModify) return command.filter ?? command.query;
  if (command.update) return command.updates?.[0]?.q;
  if (command.delete) return command.deletes?.[0]?.q;
  return undefined;
}

function planStages(plan: unknown): string[] {
  if (typeof plan !== 'object' || plan === null) return [];
  const node = plan as Record<string, unknown>;
  const own = typeof node.stage === 'string' ? [node.stage] : [];
  return [...own, ...Object.values(node).flatMap((child) => (Array.isArray(child) ? child.flatMap(planStages) : planStages(child)))];
}

/** MongoDB answers from the `_id` index, never a scan; FerretDB v1 pushes the filter down, or not. */
function expectServedByKey(explained: Document, ferretdbPushdown: boolean): void {
  if (isFerretDB()) {
    expect(explained.filterPushdown, JSON.stringify(explained)).to.equal(ferretdbPushdown);
    return;
  }
  const stages = planStages(explained.queryPlanner);
  expect(stages, JSON.stringify(explained.queryPlanner)).not.to.include('COLLSCAN');
  expect(stages.some((s) => /IDHACK|IXSCAN|EXPRESS/.test(s))).to.equal(true);
}

describe('lookup by session ID', () => {
  let client: MongoClient;
  const commands: CommandStartedEvent[] = [];
  before(async () => {
    client = new MongoClient(serverUri(), { monitorCommands: true });
    client.on('commandStarted', (event) => commands.push(event));
    await client.connect();
  });
  after(() => client.close());

  for (const IndexSessionID of [false, true]) {
    for (const TimeToLive of [0, 60]) {
      it(`never scans the collection (IndexSessionID ${IndexSessionID}, TimeToLive ${TimeToLive}, FenceLateWrites off)`, async () => {
        const db = client.db(`esm_test_lookup_${Date.now().toString(36)}`);
        try {
          const store = await openStore(db, { IndexSessionID, TimeToLive, DeleteFlags: true, FenceLateWrites: false });
          const sessions = db.collection('Sessions');
          await sessions.insertMany(
            Array.from({ length: 200 }, (_, i) => ({ _id: `filler-${i}`, SessionID: `filler-${i}`, Data: {} })) as never,
          );
          commands.length = 0;
          madeHere(store, 'target');
          await store.set('target', sessionWith({ n: 1 }));
          await store.get('target');
          await store.touch('target', sessionWith({ n: 1 }));
          await store.set('target', sessionWith({ n: 2 }));
          await store.destroy('target');
          await store.FlagDeletion('target');

          // With two-step lookups the first set inserts: a new session has nothing to look up.
          const twoStep = lookupInUse(isFerretDB()) === 'two-step';
          if (twoStep) expect(commands[0]!.commandName).to.equal('insert');
          const filters = commands.map(filterOf).filter((f): f is Document => f !== undefined);
          // get, touch, the second set, destroy, FlagDeletion (and the first set, upserted): exactly
          // the key, `{ _id }` being the only shape FerretDB pushes down. touch may add the liveness
          // conditions only for a session this process does not know to be live well past the write.
          expect(filters).to.have.length((TimeToLive > 0 ? 5 : 4) + (twoStep ? 0 : 1));
          for (const filter of filters) expect(filter).to.deep.equal(keyOf('target'));

          expectServedByKey(await sessions.find(keyOf('target')).explain(), twoStep);
        } finally {
          await db.dropDatabase();
        }
      });
    }
  }

  it('with FenceLateWrites, writes add their stamp to `{ _id }`: served from the _id index on MongoDB, read whole on FerretDB v1', async () => {
    const db = client.db(`esm_test_lookup_fence_${Date.now().toString(36)}`);
    try {
      const store = await openStore(db, { TimeToLive: 60, DeleteFlags: true, FenceLateWrites: true });
      await store.set('target', sessionWith({ n: 1 }));
      commands.length = 0;
      await store.get('target');
      await store.touch('target', sessionWith({ n: 1 }));
      await store.set('target', sessionWith({ n: 2 }));
      await store.destroy('target');
      const filters = commands.map(filterOf).filter((f): f is Document => f !== undefined);
      expect(filters[0], 'get').to.deep.equal(keyOf('target'));
      for (const filter of filters.slice(1)) {
        // Only the branch that finds 2.x's document is fenced (see write-fence).
        const own = (filter.$or?.[0] ?? filter) as Document;
        expect(Object.keys(own).sort(), JSON.stringify(filter)).to.deep.equal(['Written', '_id']);
        expect(own.Written.$not.$gt).to.be.instanceOf(Date);
        if (filter.$or) expect(filter.$or[1]).to.deep.equal(keyOf('target').$or[1]);
      }
      expect(filters).to.have.length(4);
      // FerretDB v1 reads the table for it: why the fence is off there by default.
      expectServedByKey(await db.collection('Sessions').find(filters[1]!).explain(), false);
    } finally {
      await db.dropDatabase();
    }
  });

  it('a touch that carries the liveness conditions renews its own session, never another live one', async () => {
    const db = client.db(`esm_test_lookup_touch_${Date.now().toString(36)}`);
    try {
      const writer = await openStore(db, { TimeToLive: 60 });
      for (const sid of ['a', 'b']) await writer.set(sid, sessionWith({ sid }));
      // Another process: it does not know the session to be live, so its touch filters on that too.
      const other = await openStore(db, { TimeToLive: 60 });
      const expires = new Date(Date.now() + 7_200_000);
      await other.touch('b', { cookie: { path: '/', httpOnly: true, originalMaxAge: 7_200_000, expires } } as never);
      const sessions = db.collection('Sessions');
      expect((await sessions.findOne({ _id: 'b' as never }))?.Expires).to.deep.equal(expires);
      expect((await sessions.findOne({ _id: 'a' as never }))?.Expires).to.equal(undefined);
    } finally {
      await db.dropDatabase();
    }
  });

  /** The filters a get of a missing session sends, in a collection holding another. */
  async function filtersOfAMiss(db: Db): Promise<Document[]> {
    const store = await openStore(db, { FenceLateWrites: false });
    await store.set('present', sessionWith({ n: 1 }));
    commands.length = 0;
    expect(await store.get('absent')).to.equal(null);
    return commands.map(filterOf).filter((f): f is Document => f !== undefined);
  }

  it('a miss costs one command with either lookups (MongoDB), two with two-step ones (FerretDB v1, mongos)', async () => {
    const db = client.db(`esm_test_lookup_misses_${Date.now().toString(36)}`);
    try {
      const filters = await filtersOfAMiss(db);
      // Two-step: whether any 1.x document exists, a read that concurrent misses share (below).
      expect(filters).to.deep.equal(lookupInUse(isFerretDB()) === 'two-step' ? [{ _id: 'absent' }, ANY_1X] : [keyOf('absent')]);
    } finally {
      await db.dropDatabase();
    }
  });

  it('a miss reads no document on MongoDB: the _id index, and its empty range of ObjectIds, without IndexSessionID', async function () {
    if (isFerretDB()) skipBecause(this, 'FerretDB v1 reads the collection for any filter but { _id }; the plan needs MongoDB');
    const db = client.db(`esm_test_lookup_miss_${Date.now().toString(36)}`);
    try {
      const filters = await filtersOfAMiss(db);
      const explained = await db.collection('Sessions').find(filters.at(-1)!).explain('executionStats');
      const stages = planStages(explained.queryPlanner);
      expect(stages, JSON.stringify(explained.queryPlanner)).not.to.include('COLLSCAN');
      expect(stages).to.include('IXSCAN');
      expect(explained.executionStats.totalDocsExamined).to.equal(0);
    } finally {
      await db.dropDatabase();
    }
  });

  describe('which lookup a server gets', () => {
    afterEach(() => sinon.restore());
    const modeOn = async (idFiltersOnly: boolean): Promise<string> => {
      const db = client.db(`esm_test_lookup_mode_${Date.now().toString(36)}`);
      return (await detectLayout(db, db.collection<SessionDocument>('Sessions'), { idFiltersOnly, shared1x: true })).mode;
    };
    /** The server answers `hello` as `answer` says; other commands go through. */
    const helloAnswers = (answer: (command: Document) => Promise<Document> | undefined): void => {
      const command = Admin.prototype.command;
      sinon.stub(Admin.prototype, 'command').callsFake(function (this: Admin, cmd: Document, ...rest: unknown[]) {
        return answer(cmd) ?? (command as (...args: unknown[]) => Promise<Document>).call(this, cmd, ...rest);
      });
    };

    it('either on a server that serves every filter from indexes; two-step where only { _id } is (FerretDB v1)', async () => {
      expect(await modeOn(false)).to.equal('either');
      expect(await modeOn(true)).to.equal('two-step');
    });

    it('two-step behind a mongos, which answers hello (or isMaster, before 4.4.2) with msg isdbgrid', async () => {
      helloAnswers((cmd) => (cmd.hello ? Promise.resolve({ ok: 1, msg: 'isdbgrid' }) : undefined));
      expect(await modeOn(false)).to.equal('two-step');
      sinon.restore();
      helloAnswers((cmd) =>
        cmd.hello
          ? Promise.reject(Object.assign(new Error('no such command: hello'), { code: 59 }))
          : cmd.isMaster
            ? Promise.resolve({ ok: 1, msg: 'isdbgrid' })
            : undefined,
      );
      expect(await modeOn(false)).to.equal('two-step');
    });
  });
});
