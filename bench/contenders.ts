import path from 'node:path';
import { MongoClient } from 'mongodb';
import type { SessionData, Store } from 'express-session';
import { MongoStore } from 'connect-mongo';
import type Types from '../types';
import { floorOps, FloorStore, type FloorDocument, type SessionOps } from './floor';
import { CommandCounter } from './server';

// The built package, as users load it (`npm run bench` builds it first).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const createStore = require('../dist') as Types.CreateStore;

export const DB_NAME = 'esm_bench';
/** TimeToLive when it is on, in seconds; long enough that nothing expires during a run. */
export const TTL_SECONDS = 3600;

export type Family = 'floor' | 'ours' | 'connect-mongo';

export interface ContenderSpec {
  label: string;
  family: Family;
  ttl: boolean;
  filter?: boolean;
  touchInterval?: number;
  /** `UserKey: 'user.id'`: the session's user copied into the indexed `User` field. */
  userKey?: boolean;
  /** FenceLateWrites on, which FerretDB v1 leaves off by default. */
  fence?: boolean;
  /** Another build of this package (the folder holding its built index.js) in place of `dist/`. */
  build?: string;
}

/**
 * One store under test, with a MongoClient and a collection of its own: the client's
 * commandStarted events are then this contender's round trips alone.
 */
export interface Contender extends ContenderSpec {
  counter: CommandCounter;
  /** The store's public API in promise form. */
  ops: SessionOps;
  /** What express-session is given. */
  store: Store;
  /** Deletes every session but `keep` (outside timing), so collections do not grow from round to round. */
  prune(keep: string[]): Promise<void>;
  close(): Promise<void>;
}

export const OURS = 'this store';
export const OURS_FILTER = 'this store, Filter';
export const OURS_ENCRYPTED = 'this store, EncryptionKeys';
export const OURS_TOUCH_60 = 'this store, TouchInterval 60';
export const OURS_USER_KEY = 'this store, UserKey';
export const OURS_FENCE = 'this store, FenceLateWrites';
export const OURS_BASELINE = 'this store, baseline build';
export const FLOOR = 'floor (raw driver)';
/** bench/client-cpu.ts: what `BENCH_BASELINE` (another build's folder) adds to a label there, measured in the same rounds. */
export const BASELINE_SUFFIX = ', baseline build';
/** bench/client-cpu.ts: node:crypto alone, no store; its "get" opens, its "set" seals (see cipherLoops). */
export const CIPHER = 'node:crypto AES-256-GCM alone';
/**
 * bench/client-cpu.ts: this store with EncryptionKeys, node:crypto's cipher swapped for one that
 * hands its input back: the same store, rounds and calls, without AES-GCM. The cipher's cost
 * inside the store, its garbage included, is the EncryptionKeys contender's time minus this one's.
 */
export const PASS_THROUGH = 'this store, EncryptionKeys, pass-through cipher';
export const CONNECT_MONGO = 'connect-mongo 6';

export function contenderSpecs(ttl: boolean): ContenderSpec[] {
  const specs: ContenderSpec[] = [
    { label: FLOOR, family: 'floor', ttl },
    { label: OURS, family: 'ours', ttl, filter: false },
    { label: OURS_FILTER, family: 'ours', ttl, filter: true },
  ];
  // Opt-in, so the default run keeps its length.
  if (process.env.BENCH_USERKEY === '1') specs.push({ label: OURS_USER_KEY, family: 'ours', ttl, userKey: true });
  if (process.env.BENCH_FENCE === '1') specs.push({ label: OURS_FENCE, family: 'ours', ttl, fence: true });
  const baseline = process.env.BENCH_BASELINE;
  if (baseline) specs.push({ label: OURS_BASELINE, family: 'ours', ttl, filter: false, build: path.resolve(baseline) });
  if (ttl) specs.push({ label: OURS_TOUCH_60, family: 'ours', ttl, touchInterval: 60 });
  specs.push({ label: CONNECT_MONGO, family: 'connect-mongo', ttl });
  return specs;
}

/** Adapts a callback-style method call to a promise. */
function call<T>(run: (callback: (err: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value))));
}

export async function openContender(uri: string, spec: ContenderSpec, collectionName: string): Promise<Contender> {
  const client = new MongoClient(uri, { monitorCommands: true });
  const counter = new CommandCounter(client);
  await client.connect();
  const db = client.db(DB_NAME);
  // Leftovers of an earlier run on a MONGODB_URI server would change lookup costs.
  await db
    .collection(collectionName)
    .drop()
    .catch(() => {});
  const raw = db.collection<{ _id: string }>(collectionName);
  const prune = async (keep: string[]): Promise<void> => {
    await raw.deleteMany({ _id: { $nin: keep } });
  };

  if (spec.family === 'floor') {
    const sessions = db.collection<FloorDocument>(collectionName);
    const ops = floorOps(sessions, spec.ttl);
    return { ...spec, counter, ops, store: new FloorStore(ops, sessions), prune, close: () => client.close() };
  }

  if (spec.family === 'ours') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const create = spec.build ? (require(spec.build) as Types.CreateStore) : createStore;
    const store = create(db, null, {
      CollectionName: collectionName,
      TimeToLive: spec.ttl ? TTL_SECONDS : 0,
      Filter: spec.filter ?? false,
      TouchInterval: spec.touchInterval ?? 0,
      ...(spec.userKey ? { UserKey: 'user.id' } : {}),
      ...(spec.fence ? { FenceLateWrites: true } : {}),
    });
    await store.ready();
    const ops: SessionOps = {
      get: (sid) => store.get(sid),
      set: async (sid, session) => {
        await store.set(sid, session);
      },
      touch: (sid, session) => store.touch(sid, session),
    };
    const close = async (): Promise<void> => {
      await store.close();
      await client.close();
    };
    return { ...spec, counter, ops, store, prune, close };
  }

  // 'disabled': FerretDB refuses the TTL index 'native' asks for, and an 'interval' sweep
  // would add deletes to its timings that the floor does not pay.
  const store = MongoStore.create({
    client,
    dbName: DB_NAME,
    collectionName,
    ...(spec.ttl ? { ttl: TTL_SECONDS } : {}),
    autoRemove: 'disabled',
    stringify: false,
  });
  await store.collectionP;
  const ops: SessionOps = {
    get: async (sid) => (await call<SessionData | null>((cb) => store.get(sid, cb))) ?? null,
    set: async (sid, session) => {
      await call((cb) => store.set(sid, session, cb));
    },
    touch: async (sid, session) => {
      await call((cb) => store.touch(sid, session, cb));
    },
  };
  // connect-mongo's close() closes the client it was given.
  return { ...spec, counter, ops, store, prune, close: () => store.close() };
}
