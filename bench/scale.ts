/**
 * Scale and memory, one process (no build step: run `npm run build` first):
 *
 *   node --expose-gc -r ts-node/register/transpile-only bench/scale.ts
 *
 * Scale: seeds a collection of 1,000 sessions and one of BENCH_SCALE_N in bulk (insertMany,
 * in this store's document layout), then times this store's get of random sessions in each.
 * Memory: BENCH_MEMORY_OPS store operations of read-mostly traffic, with the heap measured
 * after a forced GC before (after a warm-up) and after.
 *
 * FerretDB over PostgreSQL instead of SQLite (a throwaway cluster, stopped and removed after):
 *
 *   bash bench/postgres.sh node --expose-gc -r ts-node/register/transpile-only bench/scale.ts
 *
 * There, by default, each scale collection gets an index made by hand in PostgreSQL, outside
 * FerretDB, right after it is seeded: GIN on (_jsonb->'_id') jsonb_path_ops. FerretDB v1.24.2
 * sends find({_id}) as `_jsonb->$1 @> $2`, which its own btree index on (_jsonb->'_id') cannot
 * serve, so without this every get scans the table. The output says when it was made.
 *
 * Environment:
 *   MONGODB_URI        server to use; unset: start FerretDB v1 on SQLite (ferretdb/), or on
 *                      PostgreSQL when BENCH_POSTGRESQL_URL is set
 *   BENCH_POSTGRESQL_URL  with MONGODB_URI unset: the PostgreSQL database FerretDB stores its
 *                      data in (bench/postgres.sh sets it)
 *   BENCH_PSQL         psql command line for that database, split on spaces (bench/postgres.sh
 *                      sets it): makes the index below and reads the server version
 *   BENCH_PG_ID_INDEX  on PostgreSQL, 1 (default) makes the GIN index on _id by hand, 0 does not
 *   BENCH_SCALE_N      sessions in the large collection (default 1000000; 0 skips the scale part)
 *   BENCH_SCALE_GETS   gets timed in the large collection (default 7: on FerretDB without the
 *                      hand-made index each one scans the table, which takes seconds at 1,000,000)
 *   BENCH_MEMORY_OPS   store operations for the memory part (default 1000000; 0 skips it)
 */
import type { SessionData } from 'express-session';
import { MongoClient, type Db } from 'mongodb';
import type Types from '../types';
import { typicalSession } from './payload';
import { describeMachine, describeServer, finishRun, psql, startServer } from './server';
import { envNumber, msSince, now, percentile } from './stats';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const createStore = require('../dist') as Types.CreateStore;

const SCALE_N = envNumber('BENCH_SCALE_N', 1_000_000);
const SCALE_GETS = envNumber('BENCH_SCALE_GETS', 7);
const MEMORY_OPS = envNumber('BENCH_MEMORY_OPS', 1_000_000);
const PG_ID_INDEX = envNumber('BENCH_PG_ID_INDEX', 1) !== 0;
const SMALL_N = 1_000;
const SMALL_GETS = 200;
const INSERT_BATCH = 5_000;

const DB_NAME = 'esm_bench_scale';
const log = (message: string): void => void process.stderr.write(`${message}\n`);
const sidOf = (i: number): string => `scale-${String(i).padStart(8, '0')}`;

/** Inserts `count` sessions in this store's layout, in batches. */
async function seed(db: Db, name: string, count: number): Promise<void> {
  const sessions = db.collection<{ _id: string }>(name);
  await sessions.drop().catch(() => {});
  const start = now();
  for (let from = 0; from < count; from += INSERT_BATCH) {
    const docs = [];
    for (let i = from; i < Math.min(from + INSERT_BATCH, count); i++) {
      docs.push({ _id: sidOf(i), SessionID: sidOf(i), Data: typicalSession(), LastAccessed: new Date() });
    }
    await sessions.insertMany(docs, { ordered: false });
    if ((from / INSERT_BATCH) % 20 === 19) log(`  ${from + docs.length} of ${count} sessions seeded`);
  }
  console.log(`Seeded ${count} sessions into ${name} in ${(msSince(start) / 1000).toFixed(1)} s`);
}

/** SQL string literal. */
const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;
/** SQL quoted identifier. */
const sqlName = (text: string): string => `"${text.replaceAll('"', '""')}"`;

/** The PostgreSQL table FerretDB keeps collection `name` of database DB_NAME in (schema DB_NAME). */
function tableOf(name: string): string {
  const table = psql(
    `SELECT _jsonb->>'table' FROM ${sqlName(DB_NAME)}._ferretdb_database_metadata WHERE _jsonb->>'_id' = ${sqlString(name)}`,
  );
  if (!/^\w+$/.test(table)) throw new Error(`no single PostgreSQL table found for ${DB_NAME}.${name}: ${JSON.stringify(table)}`);
  return table;
}

/**
 * On FerretDB over PostgreSQL: creates, by hand and outside FerretDB, a GIN index on
 * (_jsonb->'_id') for collection `name`, the one FerretDB v1.24.2's find({_id}) can use.
 */
function createIdIndex(name: string): void {
  const table = tableOf(name);
  const start = now();
  psql(`CREATE INDEX ${sqlName(`${table}_id_gin`)} ON ${sqlName(DB_NAME)}.${sqlName(table)} USING gin ((_jsonb -> '_id') jsonb_path_ops)`);
  console.log(
    `  ${name}: created by hand in PostgreSQL, outside FerretDB: GIN index on (_jsonb->'_id') jsonb_path_ops on ${DB_NAME}.${table}, in ${(msSince(start) / 1000).toFixed(1)} s, because FerretDB v1.24.2 queries _id with @> which its own btree index cannot serve`,
  );
}

/** On PostgreSQL: the plan FerretDB reports for a find by _id in collection `name`, in brief. */
async function describePlan(db: Db, name: string): Promise<string> {
  const explained = (await db
    .collection<{ _id: string }>(name)
    .find({ _id: sidOf(0) })
    .explain()) as {
    queryPlanner?: { Plan?: PlanNode };
  };
  const nodes: string[] = [];
  const walk = (node: PlanNode | undefined): void => {
    if (!node) return;
    nodes.push(`${node['Node Type'] ?? '?'}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(explained.queryPlanner?.Plan);
  return nodes.length > 0 ? nodes.join(' < ') : 'not reported';
}
interface PlanNode {
  'Node Type'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Times this store's get of `gets` sessions picked at random from the `count` seeded. */
async function timeGets(db: Db, name: string, count: number, gets: number): Promise<number[]> {
  // No OperationTimeoutMS: on FerretDB a get near the end of 1,000,000 rows outlasts the default 10 s.
  const store = createStore(db, null, { CollectionName: name, OperationTimeoutMS: 0 });
  await store.ready();
  await store.get(sidOf(0)); // first call: connection and JIT warm-up
  const latencies: number[] = [];
  for (let i = 0; i < gets; i++) {
    const sid = sidOf(Math.floor(Math.random() * count));
    const t0 = now();
    const session = await store.get(sid);
    latencies.push(msSince(t0));
    if (!session) throw new Error(`${sid} was not found`);
  }
  await store.close();
  return latencies;
}

async function scale(db: Db, onPostgreSQL: boolean): Promise<void> {
  console.log(`\nScale: this store's get (TimeToLive 0: one findOne by _id) of random sessions`);
  const idIndex = onPostgreSQL && PG_ID_INDEX;
  if (onPostgreSQL)
    console.log(
      idIndex
        ? `  On FerretDB over PostgreSQL, with a GIN index on _id made by hand after seeding each collection (BENCH_PG_ID_INDEX=0: without)`
        : `  On FerretDB over PostgreSQL, without any hand-made index (BENCH_PG_ID_INDEX=0)`,
    );
  await seed(db, 'scale_small', SMALL_N);
  if (idIndex) createIdIndex('scale_small');
  if (onPostgreSQL) console.log(`  scale_small plan for find({_id}), as FerretDB explains it: ${await describePlan(db, 'scale_small')}`);
  const small = await timeGets(db, 'scale_small', SMALL_N, SMALL_GETS);
  const smallP50 = percentile(small, 50);
  console.log(`  ${SMALL_N} sessions: p50 ${smallP50.toFixed(2)} ms, p99 ${percentile(small, 99).toFixed(2)} ms over ${SMALL_GETS} gets`);
  await db.collection('scale_small').drop();

  await seed(db, 'scale_large', SCALE_N);
  if (idIndex) createIdIndex('scale_large');
  if (onPostgreSQL) console.log(`  scale_large plan for find({_id}), as FerretDB explains it: ${await describePlan(db, 'scale_large')}`);
  const large = await timeGets(db, 'scale_large', SCALE_N, SCALE_GETS);
  const largeP50 = percentile(large, 50);
  console.log(
    `  ${SCALE_N} sessions: p50 ${largeP50.toFixed(2)} ms over only ${SCALE_GETS} gets (each: ${large.map((ms) => ms.toFixed(0)).join(', ')} ms)`,
  );
  console.log(`  p50 at ${SCALE_N} / p50 at ${SMALL_N}: ${(largeP50 / smallP50).toFixed(1)}x (target <= 1.2x)`);
  if (onPostgreSQL && largeP50 < smallP50)
    console.log(`  (below 1x: the ${SMALL_N}-session p50 is the higher one; both p50s and the ratio are printed as measured)`);
  await db.collection('scale_large').drop();
}

/**
 * Read-mostly traffic as express-session makes it, 8 requests at a time over 100 sessions:
 * per 10 requests, 10 gets, 9 touches and 1 set (20 operations). TimeToLive, TouchInterval
 * and Filter are on, so expiry, the touch throttle and the escaping copies are all exercised.
 */
async function memory(db: Db): Promise<void> {
  const gc = (global as { gc?: () => void }).gc;
  console.log(`\nMemory: ${MEMORY_OPS} store operations`);
  if (!gc) {
    console.log(
      '  Skipped: global.gc is missing. Run node with --expose-gc: heapUsed without a forced GC measures garbage not yet collected, not what is kept.',
    );
    return;
  }
  const store = createStore(db, null, { CollectionName: 'memory', TimeToLive: 3600, TouchInterval: 60, Filter: true });
  await store.ready();
  const sids = Array.from({ length: 100 }, (_, i) => `mem-${i}`);
  for (const sid of sids) await store.set(sid, typicalSession() as unknown as SessionData);

  let next = 0;
  let limit = 0;
  let inFlight = 0;
  let ops = 0;
  /** One request: a get, then a touch or (one in ten) a set. Counts its operations once done. */
  const request = async (k: number): Promise<void> => {
    const sid = sids[k % sids.length]!;
    const session = await store.get(sid);
    if (!session) throw new Error(`${sid} was not found`);
    if (k % 10 === 9) {
      session.visits = (session.visits ?? 0) + 1;
      await store.set(sid, session);
    } else {
      await store.touch(sid, session);
    }
    ops += 2;
  };
  // Each worker claims its request before starting it, so at most 8 run past the target.
  const runUntil = async (opsTarget: number): Promise<void> => {
    limit = opsTarget;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (ops + 2 * inFlight < limit) {
          inFlight++;
          await request(next++);
          inFlight--;
        }
      }),
    );
  };
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MB`;

  await runUntil(10_000); // warm-up: JIT, connection pool, throttle entries
  ops = 0;
  const before = heap();
  const start = now();
  console.log(`  heapUsed after warm-up and forced GC: ${mb(before)}`);
  for (let step = 1; step <= 10; step++) {
    await runUntil(Math.round((MEMORY_OPS * step) / 10));
    const used = heap();
    console.log(
      `  after ${ops} operations (${((ops * 1000) / msSince(start)).toFixed(0)} ops/s): heapUsed ${mb(used)} (${(((used - before) / before) * 100).toFixed(1)}%)`,
    );
  }
  const after = heap();
  console.log(
    `  heapUsed at the start ${mb(before)}, at the end ${mb(after)}: ${(((after - before) / before) * 100).toFixed(1)}% (target: within 10%)`,
  );
  await store.close();
}

async function main(): Promise<void> {
  const started = now();
  const server = await startServer();
  const client = new MongoClient(server.uri);
  try {
    await client.connect();
    console.log(`express-session-mongodb scale and memory, ${new Date().toISOString()}`);
    console.log(`Server: ${await describeServer(client, server)}`);
    console.log(`Machine: ${describeMachine()}`);
    const db = client.db(DB_NAME);
    if (SCALE_N > 0) await scale(db, server.postgresqlURL !== undefined);
    if (MEMORY_OPS > 0) await memory(db);
    console.log(`\nTotal time: ${(msSince(started) / 1000).toFixed(0)} s`);
  } finally {
    await finishRun(client, server, DB_NAME);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
