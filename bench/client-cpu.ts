import type { SessionData } from 'express-session';
import { BSON, type Collection, type Db, type Document, type MongoClient } from 'mongodb';
import { MongoStore } from 'connect-mongo';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import nodeCrypto, { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import type Types from '../types';
import { BASELINE_SUFFIX, CIPHER, CONNECT_MONGO, FLOOR, OURS, OURS_ENCRYPTED, PASS_THROUGH, OURS_FILTER } from './contenders';
import { floorOps, type FloorDocument, type SessionOps } from './floor';
import { typicalSession } from './payload';
import { printClientCpu } from './report';
import { msSince, now, percentile } from './stats';

/*
 * Client-side CPU per operation, without a server: each store runs against a stub
 * collection that does only the driver's share of the work (BSON-serialise the command,
 * BSON-deserialise the reply) and answers at once. The server's time, which swamps a few
 * microseconds in the end-to-end figures, is left out; what remains is what each store
 * adds in the application process, so Filter's cost can be read without noise.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const createStore = require('../dist') as Types.CreateStore;

/** A fixed secret: the cost of sealing does not depend on its value. */
const BENCH_KEY = 'bench secret, at least 32 characters long';

type Filter = { _id?: unknown; $or?: Array<{ _id?: unknown }> };

/** The session a filter names: `{ _id }`, or on MongoDB the `_id` branch of this store's `$or` (see lib/layout). */
function idOf(filter: Filter): string | undefined {
  const id = filter._id ?? filter.$or?.[0]?._id;
  return typeof id === 'string' ? id : undefined;
}

export class StubCollection {
  private readonly docs = new Map<string, Document>();
  /** Reply bytes, made by seal() outside timing: a server's work, not the client's. */
  private readonly replies = new Map<string, Uint8Array>();

  /** `bare`: no BSON work at all, to look at a store's own work alone (bench/cpu-profile.ts). */
  constructor(
    readonly collectionName: string,
    private readonly bare = false,
  ) {}

  private serialize(command: Document): void {
    if (!this.bare) BSON.serialize(command);
  }

  private reply(filter: Filter): Document | null {
    const id = idOf(filter);
    const bytes = id === undefined ? undefined : this.replies.get(id);
    if (!bytes) return null;
    return this.bare ? structuredClone(this.docs.get(id!)!) : BSON.deserialize(bytes);
  }

  private write(filter: Filter, update: Document): void {
    const id = idOf(filter);
    if (id === undefined) return;
    const set = (update.$set ?? {}) as Document;
    this.docs.set(id, { ...(this.docs.get(id) ?? { _id: id }), ...set });
  }

  async findOne(filter: Filter): Promise<Document | null> {
    this.serialize({ find: this.collectionName, filter, limit: 1 });
    return this.reply(filter);
  }

  async findOneAndUpdate(filter: Filter, update: Document): Promise<Document | null> {
    this.serialize({ findAndModify: this.collectionName, query: filter, update });
    this.write(filter, update);
    return this.reply(filter);
  }

  async updateOne(filter: Filter, update: Document, options?: { upsert?: boolean }): Promise<Document> {
    this.serialize({ update: this.collectionName, updates: [{ q: filter, u: update, upsert: options?.upsert ?? false }] });
    this.write(filter, update);
    return { acknowledged: true, matchedCount: 1, modifiedCount: 1, upsertedCount: 0, upsertedId: null };
  }

  async insertOne(doc: Document): Promise<Document> {
    this.serialize({ insert: this.collectionName, documents: [doc] });
    this.docs.set(String(doc._id), doc);
    return { acknowledged: true, insertedId: doc._id };
  }

  async deleteMany(): Promise<Document> {
    return { acknowledged: true, deletedCount: 0 };
  }

  async createIndex(): Promise<string> {
    return 'stub';
  }

  listIndexes(): { toArray(): Promise<Document[]> } {
    return { toArray: async () => [] };
  }

  seal(): void {
    for (const [id, doc] of this.docs) this.replies.set(id, BSON.serialize(doc));
  }
}

function stubDb(collection: StubCollection): Db {
  const db = {
    databaseName: 'stub',
    createCollection: async () => {},
    collection: () => collection,
    command: async () => ({ ok: 1 }),
    admin: () => ({ command: async () => ({ ok: 1, version: 'stub' }) }),
  };
  return db as unknown as Db;
}

/**
 * A contender over `collection`: the floor, connect-mongo, or this store (`label` one of the
 * contenders' names, with BASELINE_SUFFIX for the build in `BENCH_BASELINE`).
 */
export async function openStub(label: string, collection: StubCollection): Promise<SessionOps> {
  const db = stubDb(collection);
  const baseline = label.endsWith(BASELINE_SUFFIX);
  const kind = baseline ? label.slice(0, -BASELINE_SUFFIX.length) : label;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const create = baseline ? (require(path.resolve(process.env.BENCH_BASELINE!)) as Types.CreateStore) : createStore;
  if (label === FLOOR) return floorOps(collection as unknown as Collection<FloorDocument>, false);
  if (label === CONNECT_MONGO) {
    const client = { db: () => db } as unknown as MongoClient;
    const store = MongoStore.create({ client, collectionName: 'stub', autoRemove: 'disabled', stringify: false });
    await store.collectionP;
    const call = (run: (cb: (err: unknown, value?: unknown) => void) => void) =>
      new Promise<unknown>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value))));
    return {
      get: async (sid) => ((await call((cb) => store.get(sid, cb))) as SessionData | null) ?? null,
      set: async (sid, session) => void (await call((cb) => store.set(sid, session, cb))),
      touch: async (sid, session) => void (await call((cb) => store.touch(sid, session, cb))),
    };
  }
  const store = create(db, null, {
    CollectionName: 'stub',
    Filter: kind === OURS_FILTER,
    ...(kind === OURS_ENCRYPTED || kind === PASS_THROUGH ? { EncryptionKeys: [BENCH_KEY] } : {}),
  });
  await store.ready();
  return {
    get: (sid) => store.get(sid),
    set: async (sid, session) => void (await store.set(sid, session)),
    touch: (sid, session) => store.touch(sid, session),
  };
}

export interface CpuCost {
  label: string;
  getMicros: number;
  setMicros: number;
  /** Microseconds per operation in each round, in round order: for ratios paired within a round. */
  getRounds: number[];
  setRounds: number[];
  /** The same runs in wall time (the fields above: process CPU time). */
  wall?: CpuCost;
}

/** A contender as timed: `ops` gets, then `ops` sets. */
export interface Timed {
  label: string;
  gets(ops: number): Promise<void> | void;
  sets(ops: number): Promise<void> | void;
  /** After the sets: the next round's gets read what they wrote, as a server would answer them. */
  written(): void;
  get: Spent[];
  set: Spent[];
}

/** Microseconds per operation of one run: process CPU time and wall time. */
interface Spent {
  cpu: number;
  wall: number;
}

/**
 * What a run of `ops` operations cost, in microseconds per operation: the process's CPU time
 * (user and system, every thread: garbage collection included), which other processes on a
 * shared machine inflate less than wall time; and wall time, what a request waits.
 */
async function cost(ops: number, run: () => Promise<void> | void): Promise<Spent> {
  const t0 = now();
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return { cpu: (used.user + used.system) / ops, wall: (msSince(t0) * 1000) / ops };
}

function summary(label: string, get: number[], set: number[]): CpuCost {
  return { label, getMicros: percentile(get, 50), setMicros: percentile(set, 50), getRounds: get, setRounds: set };
}

/**
 * Stands in for node:crypto's cipher and decipher objects: hands its input back and computes
 * nothing, so that a store sealing with it does everything but AES-GCM (see PASS_THROUGH).
 */
class PassThroughCipher {
  static made = 0;
  constructor() {
    PassThroughCipher.made++;
  }
  setAAD(): this {
    return this;
  }
  setAuthTag(): this {
    return this;
  }
  update(data: Uint8Array): Uint8Array {
    return data;
  }
  final(): Buffer {
    return NO_BYTES;
  }
  getAuthTag(): Buffer {
    return NO_TAG;
  }
}
const NO_BYTES = Buffer.alloc(0);
const NO_TAG = Buffer.alloc(16);

/** While true, node:crypto's createCipheriv and createDecipheriv hand out PassThroughCipher. */
let passingThrough = false;
let routed = false;

/**
 * Routes node:crypto's createCipheriv and createDecipheriv through a switch, once, before any
 * store is made: the store calls them through the module object (CommonJS). Swapping the
 * functions themselves around each run would deoptimise the store's sealing code every time.
 */
function switchableCiphers(): void {
  if (routed) return;
  routed = true;
  type Make = (algorithm: string, key: unknown, iv: unknown) => unknown;
  const route =
    (real: Make): Make =>
    (algorithm, key, iv) =>
      passingThrough ? new PassThroughCipher() : real(algorithm, key, iv);
  const crypto = nodeCrypto as unknown as Record<'createCipheriv' | 'createDecipheriv', Make>;
  crypto.createCipheriv = route(crypto.createCipheriv);
  crypto.createDecipheriv = route(crypto.createDecipheriv);
}

/** From now on, every cipher node:crypto hands out passes through (bench/cpu-profile.ts profiles PASS_THROUGH so). */
export function passCiphersThrough(): void {
  switchableCiphers();
  passingThrough = true;
}

/**
 * `run` with the store's cipher passing through. Sets the switch did not reach (which would
 * time the real cipher under PASS_THROUGH's name) throw; gets need not reach it, as the
 * store's opened-sessions cache serves them.
 */
async function withoutCipher(run: () => Promise<void>, sealing: boolean): Promise<void> {
  const made = PassThroughCipher.made;
  passingThrough = true;
  try {
    await run();
  } finally {
    passingThrough = false;
  }
  if (sealing && PassThroughCipher.made === made) throw new Error(`${PASS_THROUGH}: the store never called the pass-through cipher`);
}

export async function storeContender(label: string, sids: string[], session: SessionData): Promise<Timed> {
  const collection = new StubCollection('stub');
  const ops = await openStub(label, collection);
  const passes = label.startsWith(PASS_THROUGH);
  const around = (run: () => Promise<void>, sealing = true) => (passes ? withoutCipher(run, sealing) : run());
  await around(async () => {
    for (const sid of sids) await ops.set(sid, session);
  });
  collection.seal();
  return {
    label,
    gets: (n) =>
      around(async () => {
        for (let i = 0; i < n; i++) await ops.get(sids[i % sids.length]!);
      }, false),
    sets: (n) =>
      around(async () => {
        for (let i = 0; i < n; i++) await ops.set(sids[i % sids.length]!, session);
      }),
    written: () => collection.seal(),
    get: [],
    set: [],
  };
}

const SINGLE_THREADED_GC = '--single-threaded-gc';

/** The collector on the main thread alone, and whole (see the end of this file); BENCH_CONCURRENT_GC=1: V8's defaults. */
export function collectorFlags(): string[] {
  return process.env.BENCH_CONCURRENT_GC ? [] : [SINGLE_THREADED_GC, '--no-incremental-marking'];
}

/** The contenders, in the order of the table and of their rotation. */
function clientCpuLabels(): string[] {
  const labels = [FLOOR, OURS, OURS_FILTER, PASS_THROUGH, OURS_ENCRYPTED, CONNECT_MONGO];
  const compared = [OURS, OURS_FILTER, PASS_THROUGH, OURS_ENCRYPTED];
  if (process.env.BENCH_BASELINE) labels.push(...compared.map((label) => label + BASELINE_SUFFIX));
  return labels;
}

/**
 * Rounds run first and not counted. The contenders share the store's code: the JIT settles
 * only once it has seen each of them, and with one round the first two counted rounds still
 * cost up to half as much again.
 */
const WARM_UP_ROUNDS = 3;

/** `contenders` timed for `rounds` rounds, in a rotation, after WARM_UP_ROUNDS not counted. */
async function timeRounds(contenders: Timed[], opsPerRound: number, rounds: number): Promise<void> {
  for (let round = -WARM_UP_ROUNDS; round < rounds; round++) {
    const shift = (round + WARM_UP_ROUNDS) % contenders.length;
    for (const c of [...contenders.slice(shift), ...contenders.slice(0, shift)]) {
      const get = await cost(opsPerRound, () => c.gets(opsPerRound));
      const set = await cost(opsPerRound, () => c.sets(opsPerRound));
      c.written();
      if (round >= 0) {
        c.get.push(get);
        c.set.push(set);
      }
    }
  }
}

/** node:crypto alone, as a contender whose get opens and whose set seals. */
function cipherAlone(): Timed {
  const cipher = cipherLoops();
  return { label: CIPHER, gets: cipher.open, sets: cipher.seal, written: () => {}, get: [], set: [] };
}

function costOf(c: Timed): CpuCost {
  const of = (clock: keyof Spent) =>
    summary(
      c.label,
      c.get.map((spent) => spent[clock]),
      c.set.map((spent) => spent[clock]),
    );
  return { ...of('cpu'), wall: of('wall') };
}

/**
 * Microseconds per get and per set of a ~1 KB session, TimeToLive off, rounds interleaved,
 * then node:crypto alone; the median round, so that a garbage collection landing in one round
 * does not decide.
 */
export async function measureClientCpu(opsPerRound: number, rounds: number): Promise<CpuCost[]> {
  const sids = Array.from({ length: 32 }, (_, i) => `cpu-${i}`);
  const session = typicalSession() as unknown as SessionData;
  const contenders: Timed[] = [];
  switchableCiphers();
  for (const label of clientCpuLabels()) contenders.push(await storeContender(label, sids, session));
  // Whatever seals with node:crypto runs after the others' rounds, then node:crypto alone: in
  // one rotation, the garbage its ciphers leave (collections of the whole heap included) made
  // the others pay for it, the floor's get by a quarter and the pass-through store's set by
  // up to twice its cost.
  const seals = (c: Timed) => c.label === OURS_ENCRYPTED || c.label === OURS_ENCRYPTED + BASELINE_SUFFIX;
  await timeRounds(
    contenders.filter((c) => !seals(c)),
    opsPerRound,
    rounds,
  );
  await timeRounds(contenders.filter(seals), opsPerRound, rounds);
  const alone = cipherAlone();
  await timeRounds([alone], opsPerRound, rounds);
  return [...contenders, alone].map(costOf);
}

/**
 * What node:crypto alone charges for AES-256-GCM over the benchmark's session (its BSON, as
 * the store seals it): a cipher made, 40 bytes of authenticated data, the body, the tag; the
 * same to open. No store, no BSON: the least any store sealing each write with it can add.
 */
export function cipherLoops(): { seal(ops: number): void; open(ops: number): void } {
  const session = typicalSession() as unknown as Document;
  const plain = BSON.serialize({ Data: session, FilterVersion: 0 });
  const key = createSecretKey(randomBytes(32));
  const iv = randomBytes(12);
  const aad = randomBytes(40);
  const seal = (): [Buffer, Buffer] => {
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad);
    const body = cipher.update(plain);
    cipher.final();
    return [body, cipher.getAuthTag()];
  };
  const [body, tag] = seal();
  const open = (): Buffer => {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const out = decipher.update(body);
    decipher.final();
    return out;
  };
  return {
    seal(ops) {
      for (let i = 0; i < ops; i++) seal();
    },
    open(ops) {
      for (let i = 0; i < ops; i++) open();
    },
  };
}

// On its own: `npm run build && node -r ts-node/register/transpile-only bench/client-cpu.ts [opsPerRound] [rounds]`.
// It runs itself again with V8's garbage collector on the main thread alone and without
// incremental marking (BENCH_CONCURRENT_GC=1 keeps V8's defaults). Concurrent marking on the
// other core varied a set's process CPU by a third from run to run. Incremental marking spread
// each collection of the whole heap (tens of milliseconds: ts-node's compiler lives in it) in
// steps over several contenders' rounds, so that a third or more of a contender's rounds could
// carry some of it and its median round flipped; whole, a collection lands in one round, which
// the median over rounds leaves out.
if (require.main === module) {
  const opsPerRound = Number(process.argv[2] ?? 4000);
  const rounds = Number(process.argv[3] ?? 9);
  if (!process.execArgv.includes(SINGLE_THREADED_GC) && !process.env.BENCH_CONCURRENT_GC) {
    const child = spawnSync(process.execPath, [...collectorFlags(), ...process.execArgv, __filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
    });
    process.exitCode = child.status ?? 1;
  } else {
    measureClientCpu(opsPerRound, rounds).then(
      (costs) => printClientCpu(costs, opsPerRound, rounds),
      (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
      },
    );
  }
}
