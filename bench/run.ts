/**
 * `npm run bench`: builds the package, then measures in one process, against one server:
 * the floor (raw driver), this store, and connect-mongo 6, through their store APIs and
 * through full express + express-session request cycles over loopback HTTP.
 *
 * Environment:
 *   MONGODB_URI        server to use; unset: start FerretDB v1 on SQLite (ferretdb/)
 *   BENCH_QUICK=1      smoke run of about a minute (2 rounds, batches of 32)
 *   BENCH_ROUNDS       rounds (default 6); each round runs every contender once per workload
 *   BENCH_OPS          operations (store API) or requests (HTTP) per contender per round at
 *                      concurrency 1 (default 80); at concurrency c, max(BENCH_OPS, 4 * c)
 *   BENCH_CONCURRENCY  comma-separated concurrency levels (default 1,32)
 *   BENCH_POOL         sessions per collection that read and write traffic cycles through (default 32)
 *   BENCH_KINDS        comma-separated workloads to run (default all: read-mostly,write,new,rolling,update)
 *   BENCH_BASELINE     folder of another build of this package (its built index.js): adds the
 *                      contender "this store, baseline build", for before/after in one run
 *
 * Contenders are interleaved round by round, in an order rotated every round, so that
 * drift of the machine or server hits all of them alike. Last, a few seconds of client-side
 * CPU per get and set against a stub collection (no server). Scale and memory: bench/scale.ts.
 */
import type { SessionData } from 'express-session';
import { BSON, MongoClient } from 'mongodb';
import { contenderSpecs, DB_NAME, openContender, TTL_SECONDS, type Contender } from './contenders';
import { startApp, type BenchApp } from './http-app';
import { rollingSession, typicalSession } from './payload';
import { measureClientCpu } from './client-cpu';
import { printClientCpu, printCommandMix, printServerCpu, printTable, printTargets, Results, type Group } from './report';
import { describeMachine, describeServer, finishRun, startServer } from './server';
import { envNumber, msSince, now } from './stats';
import { KINDS, runHttpBatch, runStoreBatch, type BatchResult, type HttpKind } from './workloads';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = envNumber('BENCH_ROUNDS', QUICK ? 2 : 6);
const OPS = envNumber('BENCH_OPS', QUICK ? 32 : 80);
// A few operations per connection at least, or a batch would be all ramp-up and tail.
const batchSize = (concurrency: number): number => Math.max(OPS, (QUICK ? 1 : 4) * concurrency);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,32').split(',').map(Number);
/**
 * Sessions seeded per collection for read and write traffic: enough for 32 at a time to
 * touch different ones, few enough that FerretDB's per-row lookup costs stay small.
 */
const POOL = envNumber('BENCH_POOL', 32);
const RUN_KINDS = process.env.BENCH_KINDS?.split(',') ?? KINDS.map((k) => k.kind);

const log = (message: string): void => void process.stderr.write(`${message}\n`);

interface Entry {
  contender: Contender;
  app: BenchApp;
  /** Sessions a prune keeps: the pool and the app's login session. */
  keep: string[];
}

async function main(): Promise<void> {
  if (CONCURRENCY.some((c) => !Number.isInteger(c) || c < 1)) throw new RangeError('BENCH_CONCURRENCY: whole numbers >= 1');
  if (!Number.isInteger(OPS) || OPS < 1) throw new RangeError('BENCH_OPS: a whole number >= 1');
  const unknown = RUN_KINDS.filter((kind) => !KINDS.some((k) => k.kind === kind));
  if (unknown.length > 0) throw new RangeError(`BENCH_KINDS: unknown workload ${unknown.join(', ')}`);
  const started = now();
  const server = await startServer();
  const admin = new MongoClient(server.uri);
  const entries = new Map<boolean, Entry[]>();
  try {
    await admin.connect();
    console.log(`express-session-mongodb benchmark, ${new Date().toISOString()}`);
    console.log(`Server: ${await describeServer(admin, server)}`);
    console.log(`Machine: ${describeMachine()}`);
    console.log(
      `Run: ${ROUNDS} rounds; per round, contender and workload a batch of ${CONCURRENCY.map((c) => `${batchSize(c)} operations at concurrency ${c}`).join(', ')}; ` +
        `${POOL} sessions per collection for read/write traffic, session ${BSON.calculateObjectSize(typicalSession())} bytes as BSON`,
    );

    const pool = Array.from({ length: POOL }, (_, i) => `pool-${String(i).padStart(3, '0')}`);
    const rollingPool = pool.map((sid) => `rolling-${sid}`);
    let serial = 0;
    for (const ttl of [false, true]) {
      const list: Entry[] = [];
      for (const spec of contenderSpecs(ttl)) {
        const contender = await openContender(server.uri, spec, `bench_${serial++}`);
        for (const sid of pool) await contender.ops.set(sid, typicalSession() as unknown as SessionData);
        // Each seeded row slows every FerretDB lookup: the rolling pool only for the workload that uses it.
        if (RUN_KINDS.includes('rolling'))
          for (const sid of rollingPool) await contender.ops.set(sid, rollingSession() as unknown as SessionData);
        const app = await startApp(contender.store);
        list.push({ contender, app, keep: [...pool, ...rollingPool, app.sid, app.rollingSid] });
      }
      entries.set(ttl, list);
    }

    const groups: Group[] = [];
    for (const level of ['store', 'http'] as const)
      for (const { kind, storeOnly } of KINDS.filter((k) => RUN_KINDS.includes(k.kind)))
        for (const ttl of [false, true])
          for (const concurrency of CONCURRENCY) if (level === 'store' || !storeOnly) groups.push({ level, kind, ttl, concurrency });

    let batch = 0;
    const runBatch = async (g: Group, entry: Entry, amount: number): Promise<BatchResult> => {
      const id = batch++;
      const cpu = server.cpuMs();
      const result =
        g.level === 'store'
          ? await runStoreBatch(
              entry.contender,
              g.kind,
              g.concurrency,
              amount,
              g.kind === 'new' ? (k) => `new-${id}-${k}` : (k) => (g.kind === 'rolling' ? rollingPool : pool)[k % POOL]!,
            )
          : await runHttpBatch(entry.contender, entry.app, g.kind as HttpKind, g.concurrency, amount);
      result.serverCpuMs = server.cpuMs() - cpu;
      // New sessions would otherwise pile up, and FerretDB's lookups slow with every row.
      if (g.kind === 'new') await entry.contender.prune(entry.keep);
      return result;
    };

    // Warm-up, not recorded: JIT, and connection pools opened up to the highest concurrency.
    // The smoke run goes without.
    log('warming up...');
    const top = Math.max(...CONCURRENCY);
    for (const g of groups.filter((group) => group.concurrency === top && !QUICK)) {
      for (const entry of entries.get(g.ttl)!) await runBatch(g, entry, Math.max(32, top));
    }

    const results = new Results();
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = now();
      for (const [index, g] of groups.entries()) {
        const list = entries.get(g.ttl)!;
        const shift = (round + index) % list.length;
        for (const entry of [...list.slice(shift), ...list.slice(0, shift)]) {
          results.add(g, entry.contender.label, await runBatch(g, entry, batchSize(g.concurrency)));
        }
      }
      log(`round ${round + 1}/${ROUNDS} took ${(msSince(t0) / 1000).toFixed(0)} s`);
    }

    const labelsOf = (g: Group): string[] => entries.get(g.ttl)!.map((e) => e.contender.label);
    printTable(groups, labelsOf, results, TTL_SECONDS);
    printTargets(groups, results, TTL_SECONDS);
    printServerCpu(groups, labelsOf, results, TTL_SECONDS);
    printCommandMix(
      groups.filter((g) => g.concurrency === CONCURRENCY[0]),
      labelsOf,
      results,
      TTL_SECONDS,
    );
    log('client-side CPU...');
    const cpuOps = QUICK ? 1000 : 4000;
    const cpuRounds = QUICK ? 3 : 9;
    printClientCpu(await measureClientCpu(cpuOps, cpuRounds), cpuOps, cpuRounds);
    console.log(`\nTotal time (setup, warm-up, ${ROUNDS} rounds): ${(msSince(started) / 1000).toFixed(0)} s`);
  } finally {
    for (const list of entries.values()) {
      for (const { contender, app } of list) {
        await app.close();
        await contender.close();
      }
    }
    await finishRun(admin, server, DB_NAME);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
