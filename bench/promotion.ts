import { spawnSync } from 'node:child_process';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { SessionData } from 'express-session';
import { BASELINE_SUFFIX, CONNECT_MONGO, FLOOR, OURS, OURS_ENCRYPTED, OURS_FILTER } from './contenders';
import { collectorFlags, storeContender } from './client-cpu';
import { typicalSession } from './payload';
import { percentile } from './stats';

/*
 * What a get and a set leave in V8's old generation, and the collections of the whole heap
 * that brings on. Each contender of bench/client-cpu.ts (stub collection, the 1 KB session,
 * 32 sessions in turn) runs alone in a process of its own, so that no other contender's
 * garbage is counted, after five rounds of warm-up. Bytes per operation: the median over rounds
 * of the old space's growth across a run of gets or of sets (a run a collection shrank it is
 * left out). Collections: over every measured round. Speed is bench/client-cpu.ts's to say:
 * these processes run one after the other, not in turns.
 *
 *   npm run build && node -r ts-node/register/transpile-only bench/promotion.ts [opsPerRound] [rounds]
 *   BENCH_BASELINE=/tmp/base/dist ...: the baseline build's stores beside
 */

const CONTENDER_ENV = 'BENCH_PROMOTION_CONTENDER';
const WARM_UP_ROUNDS = 5;

interface Promoted {
  label: string;
  getBytes: number;
  setBytes: number;
  wholeHeapCollections: number;
  collectionMs: number;
}

const oldSpaceUsed = (): number => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!.space_used_size;

/** Whole-heap collections seen while `run` runs, and their time. */
async function collectionsDuring(run: () => Promise<void>): Promise<{ count: number; ms: number }> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  await run();
  await new Promise((resolve) => setImmediate(resolve));
  seen.push(...observer.takeRecords());
  observer.disconnect();
  const major = seen.filter(
    (entry) => (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR,
  );
  return { count: major.length, ms: major.reduce((sum, entry) => sum + entry.duration, 0) };
}

async function measure(label: string, ops: number, rounds: number): Promise<Promoted> {
  const sids = Array.from({ length: 32 }, (_, i) => `cpu-${i}`);
  const c = await storeContender(label, sids, typicalSession() as unknown as SessionData);
  const growth = async (run: () => Promise<void> | void, into: number[]): Promise<void> => {
    const before = oldSpaceUsed();
    await run();
    const after = oldSpaceUsed();
    if (after >= before) into.push((after - before) / ops);
  };
  const gets: number[] = [];
  const sets: number[] = [];
  const round = async (): Promise<void> => {
    await growth(() => c.gets(ops), gets);
    await growth(() => c.sets(ops), sets);
    c.written();
  };
  for (let i = 0; i < WARM_UP_ROUNDS; i++) await round();
  gets.length = sets.length = 0;
  const collections = await collectionsDuring(async () => {
    for (let i = 0; i < rounds; i++) await round();
  });
  return {
    label,
    getBytes: percentile(gets, 50),
    setBytes: percentile(sets, 50),
    wholeHeapCollections: collections.count,
    collectionMs: collections.ms,
  };
}

function labels(): string[] {
  const ours = [OURS, OURS_FILTER, OURS_ENCRYPTED];
  const baseline = process.env.BENCH_BASELINE ? ours.map((label) => label + BASELINE_SUFFIX) : [];
  return [FLOOR, ...ours, CONNECT_MONGO, ...baseline];
}

function print(results: Promoted[], ops: number, rounds: number): void {
  console.log(
    `\nOld generation per operation, each contender alone in a process (${rounds} rounds x ${ops} gets and sets after ${WARM_UP_ROUNDS} of warm-up)`,
  );
  const width = Math.max(...results.map((r) => r.label.length));
  console.log(`  ${'contender'.padEnd(width)}  get B/op  set B/op  whole-heap collections (ms)`);
  for (const r of results) {
    const collections = `${r.wholeHeapCollections} (${r.collectionMs.toFixed(0)})`;
    console.log(
      `  ${r.label.padEnd(width)}  ${r.getBytes.toFixed(0).padStart(8)}  ${r.setBytes.toFixed(0).padStart(8)}  ${collections.padStart(27)}`,
    );
  }
}

// Each contender in a child process of this script; the parent prints the table.
if (require.main === module) {
  const ops = Number(process.argv[2] ?? 4000);
  const rounds = Number(process.argv[3] ?? 40);
  const contender = process.env[CONTENDER_ENV];
  if (contender) {
    measure(contender, ops, rounds).then(
      (result) => console.log(JSON.stringify(result)),
      (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
      },
    );
  } else {
    const results = labels().map((label) => {
      const child = spawnSync(process.execPath, [...collectorFlags(), ...process.execArgv, __filename, ...process.argv.slice(2)], {
        env: { ...process.env, [CONTENDER_ENV]: label },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (child.status !== 0) throw new Error(`${label}: exited with ${child.status}`);
      return JSON.parse(child.stdout.trim().split('\n').pop()!) as Promoted;
    });
    print(results, ops, rounds);
  }
}
