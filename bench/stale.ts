/**
 * Stale session IDs (issue 18): what replayed cookies of sessions that are gone cost, beside
 * live ones, in one run (no build step: run `npm run build` first):
 *
 *   node -r ts-node/register/transpile-only bench/stale.ts
 *
 * Seeds BENCH_STALE_N sessions (in this store's layout), then, for each contender, times
 * BENCH_STALE_C concurrent gets of live IDs, the same number of concurrent gets of stale IDs
 * this process never saw (first replay), and of those same stale IDs again (second replay),
 * and one get of a live session sent while the first-replay gets are in flight. Every round
 * runs the contenders one after another, in turn, on one collection and one client.
 *
 * Contenders: this build with 1.x processes possibly sharing the collection (the default),
 * this build with `SharedWith1x: false`, and, when BENCH_BASE_DIST names the dist folder of
 * an earlier build (for example 7be9529's, built apart), that build with its defaults.
 *
 * Environment:
 *   MONGODB_URI      server to use; unset: start FerretDB v1 on SQLite (ferretdb/)
 *   BENCH_STALE_N    sessions in the collection (default 5000)
 *   BENCH_STALE_C    concurrent gets per batch (default 50)
 *   BENCH_ROUNDS     rounds (default 5); medians are reported
 *   BENCH_BASE_DIST  an earlier build's dist/ to run beside this one
 */
import { MongoClient, type Db } from 'mongodb';
import path from 'node:path';
import type Types from '../types';
import { typicalSession } from './payload';
import { describeMachine, describeServer, finishRun, startServer } from './server';
import { envNumber, median, msSince, now } from './stats';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const createStore = require('../dist') as Types.CreateStore;

const N = envNumber('BENCH_STALE_N', 5_000);
const C = envNumber('BENCH_STALE_C', 50);
const ROUNDS = envNumber('BENCH_ROUNDS', 5);
const DB_NAME = 'esm_bench_stale';
const INSERT_BATCH = 1_000;

const sidOf = (i: number): string => `live-${String(i).padStart(8, '0')}`;

interface Contender {
  name: string;
  create: Types.CreateStore;
  options: Types.Options;
}

interface Cells {
  live: number[];
  first: number[];
  replay: number[];
  /** One get of a live session, sent while the live batch, then the stale batch, is in flight. */
  besideLive: number[];
  besideStale: number[];
}

async function seed(db: Db): Promise<void> {
  const sessions = db.collection<{ _id: string }>('Sessions');
  await sessions.drop().catch(() => {});
  for (let from = 0; from < N; from += INSERT_BATCH) {
    const docs = [];
    for (let i = from; i < Math.min(from + INSERT_BATCH, N); i++) docs.push({ _id: sidOf(i), SessionID: sidOf(i), Data: typicalSession() });
    await sessions.insertMany(docs, { ordered: false });
  }
}

/** Milliseconds for all of `sids` to be read at once; throws if one is found or missing unexpectedly. */
async function batch(store: Types.SessionStore, sids: string[], expectFound: boolean): Promise<number> {
  const t0 = now();
  const found = await Promise.all(sids.map((sid) => store.get(sid)));
  const ms = msSince(t0);
  if (found.some((session) => (session !== null) !== expectFound)) throw new Error(`a get found ${expectFound ? 'nothing' : 'something'}`);
  return ms;
}

const randomLive = (): string => sidOf(Math.floor(Math.random() * N));

/** Times `sids` read at once, and one unrelated get of a live session sent while they are in flight. */
async function batchBeside(store: Types.SessionStore, sids: string[], expectFound: boolean): Promise<[number, number]> {
  const all = batch(store, sids, expectFound);
  const t0 = now();
  if ((await store.get(randomLive())) === null) throw new Error('a live session was not found');
  const beside = msSince(t0);
  return [await all, beside];
}

/** One round of one contender, on a store of its own (nothing remembered from earlier rounds). */
async function round(db: Db, contender: Contender, tag: string, cells: Cells): Promise<void> {
  const store = contender.create(db, null, { OperationTimeoutMS: 0, ...contender.options });
  await store.ready();
  await store.get(randomLive()); // connection and JIT warm-up
  const [live, besideLive] = await batchBeside(store, Array.from({ length: C }, randomLive), true);
  const stale = Array.from({ length: C }, (_, i) => `stale-${tag}-${i}`);
  const [first, besideStale] = await batchBeside(store, stale, false);
  cells.live.push(live);
  cells.besideLive.push(besideLive);
  cells.first.push(first);
  cells.besideStale.push(besideStale);
  cells.replay.push(await batch(store, stale, false));
  await store.close();
  const last = (values: number[]): string => values.at(-1)!.toFixed(0);
  process.stderr.write(`  ${contender.name}: live ${last(cells.live)} ms, stale ${last(cells.first)} ms then ${last(cells.replay)} ms\n`);
}

function contenders(): Contender[] {
  const list: Contender[] = [
    { name: 'this build, default (1.x may share)', create: createStore, options: {} },
    { name: 'this build, SharedWith1x: false', create: createStore, options: { SharedWith1x: false } as Types.Options },
  ];
  const base = process.env.BENCH_BASE_DIST;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (base) list.unshift({ name: `earlier build (${base})`, create: require(path.resolve(base)) as Types.CreateStore, options: {} });
  return list;
}

function report(all: Array<[Contender, Cells]>): void {
  const f = (ms: number): string => ms.toFixed(0).padStart(9);
  const r = (a: number, b: number): string => (a / b).toFixed(2).padStart(7);
  console.log(`\n${C} concurrent gets, medians of ${ROUNDS} rounds, ms; ratios to the live batch of the same contender`);
  console.log(`${'contender'.padEnd(40)}     live  stale 1st   ratio  stale 2nd   ratio   get beside live  beside stale   ratio`);
  for (const [contender, cells] of all) {
    const live = median(cells.live);
    const [first, replay] = [median(cells.first), median(cells.replay)];
    const [besideLive, besideStale] = [median(cells.besideLive), median(cells.besideStale)];
    console.log(
      `${contender.name.padEnd(40)}${f(live)}  ${f(first)}${r(first, live)}  ${f(replay)}${r(replay, live)}         ${f(besideLive)}     ${f(besideStale)}${r(besideStale, besideLive)}`,
    );
  }
}

async function main(): Promise<void> {
  const server = await startServer();
  const client = new MongoClient(server.uri, { maxPoolSize: 50 });
  await client.connect();
  console.log(describeMachine());
  console.log(await describeServer(client, server));
  const db = client.db(DB_NAME);
  await seed(db);
  console.log(`Seeded ${N} sessions; ${C} concurrent gets per batch; ${ROUNDS} rounds`);
  const all = contenders().map((contender): [Contender, Cells] => [
    contender,
    { live: [], first: [], replay: [], besideLive: [], besideStale: [] },
  ]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, [contender, cells]] of all.entries()) await round(db, contender, `${r}-${k}`, cells);
    process.stderr.write(`round ${r + 1} of ${ROUNDS} done\n`);
  }
  report(all);
  await finishRun(client, server, DB_NAME);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
