import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { SessionData } from 'express-session';
import { openStub, passCiphersThrough, StubCollection } from './client-cpu';
import { OURS, PASS_THROUGH } from './contenders';
import { typicalSession } from './payload';
import { msSince, now, percentile } from './stats';

/*
 * Where the microseconds of this store's `get` and `set` go. Runs one contender of
 * bench/client-cpu.ts (stub collection, default options, its 1 KB session) under V8's sampling
 * profiler, a get loop and a set loop apart, and charges every sample to a step of the store:
 * the first frame, walking up from the sample, that belongs to the store (dist/, which mirrors
 * lib/), the driver's bson, the stub, or node:crypto. Node's internals and V8's builtins in
 * between are charged to who called them (a setTimeout to the deadline's timer, a Map.get to
 * the maps). The shares are turned into microseconds with the same loops timed without the
 * profiler (median of rounds), so the steps add up to the measured cost of an operation.
 *
 *   npm run build && node -r ts-node/register/transpile-only bench/cpu-profile.ts [contender] [ops] [rounds]
 *   BENCH_BASELINE=/tmp/base/dist ... bench/cpu-profile.ts 'this store, baseline build'
 *   node -r ts-node/register/transpile-only bench/cpu-profile.ts some.cpuprofile   (a `node --cpu-prof` file)
 *   PROFILE_FUNCTIONS=1 ...: per lib/ function instead of per step
 *   PROFILE_NO_BSON=1 ...: the stub does no BSON work (a get's reply is a structuredClone): the store's own work alone
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** lib/ files (as dist/ paths, without extension) by the step of a store call they do. */
const STEPS: Record<string, string> = {
  'calls/session-id': 'session ID check',
  'stored/key-filter': 'key filter / value walk',
  'stored/quick-walk': 'key filter / value walk',
  'stored/bson-limits': 'BSON limits check',
  'stored/cookie': 'cookie',
  'store/stored-form': 'document build',
  'stored/driver-values': 'document build',
  'stored/document': 'document build',
  'writes/layout': 'document build',
  'store/user-sessions': 'document build',
  'expiry/expiry': 'expiry clocks',
  'calls/deadline': 'deadline/timer',
  'calls/timeout': 'deadline/timer',
  'writes/write-order': 'write order',
  'writes/write-fence': 'write fence',
  'store/session-writes': 'write order',
  'store/known-sessions': 'known/made/gone maps',
  'store/made-sessions': 'known/made/gone maps',
  'store/gone-sessions': 'known/made/gone maps',
  'util/bounded-map': 'known/made/gone maps',
  'expiry/touch-throttle': 'known/made/gone maps',
  'calls/public-method': 'promise layers (method, settle, context, retry)',
  'calls/callback': 'promise layers (method, settle, context, retry)',
  'store/operations': 'promise layers (method, settle, context, retry)',
  'store/lifecycle': 'promise layers (method, settle, context, retry)',
  'writes/retry': 'promise layers (method, settle, context, retry)',
  'store/read-sessions': 'get/set body',
  'store/write-session': 'get/set body',
  'store/session-state': 'get/set body',
  'stored/encryption': 'encryption (store side)',
  'stored/quick-bson': 'BSON of the sealed session (quick-bson)',
};

/** The step a frame belongs to, or null when it is someone's helper (node internals, builtins). */
function stepOf(url: string, functionName: string): string | null {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 (program, microtask queue)';
  const dist = /\/dist\/(.+)\.js$/.exec(url);
  if (dist) return STEPS[dist[1]!] ?? `other lib/${dist[1]}`;
  if (url.includes('/node_modules/bson/')) return 'driver BSON (stub: serialize command, deserialize reply)';
  if (url.includes('/node_modules/')) return 'other packages';
  if (url.includes('/bench/')) return 'stub collection and loop';
  if (url.startsWith('node:internal/crypto') || url === 'node:crypto') return 'cipher (node:crypto)';
  return null;
}

/**
 * Sample time (µs) per step: each sample charged to the first frame up its stack that has one.
 * `byFunction`: per lib/ function instead (`file:function`), for a closer look.
 */
export function attribute(profile: Profile, byFunction = false): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stepOfNode = new Map<number, string>();
  const resolve = (id: number): string => {
    const cached = stepOfNode.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const { url, functionName } = node.callFrame;
    let step = stepOf(url, functionName);
    const dist = /\/dist\/(.+)\.js$/.exec(url);
    if (byFunction && dist && step !== null) step = `lib/${dist[1]}:${functionName || '(anonymous)'}`;
    step ??= up === undefined ? 'other' : resolve(up);
    stepOfNode.set(id, step);
    return step;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    if (byId.get(id)!.callFrame.functionName === '(idle)') return;
    const step = resolve(id);
    totals.set(step, (totals.get(step) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return totals;
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))));
}

type Loop = () => Promise<void>;

/** Median µs per operation of `loop` (`ops` operations) over `rounds` rounds, unprofiled. */
async function timed(loop: Loop, ops: number, rounds: number): Promise<number> {
  const perOp: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const t0 = now();
    await loop();
    perOp.push((msSince(t0) * 1000) / ops);
  }
  return percentile(perOp, 50);
}

async function profiled(session: Session, loop: Loop, rounds: number): Promise<Map<string, number>> {
  await post(session, 'Profiler.start');
  for (let round = 0; round < rounds; round++) await loop();
  const { profile } = await post<{ profile: Profile }>(session, 'Profiler.stop');
  return attribute(profile, process.env.PROFILE_FUNCTIONS === '1');
}

function printSteps(title: string, totals: Map<string, number>, micros: number): void {
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${title}: ${micros.toFixed(1)} us per operation (unprofiled median), by step`);
  for (const [step, time] of [...totals].sort((a, b) => b[1] - a[1])) {
    const share = time / all;
    if (share < 0.005) continue;
    console.log(`  ${step.padEnd(52)} ${((share * 100).toFixed(1) + '%').padStart(6)} ${(share * micros).toFixed(2).padStart(7)} us`);
  }
}

async function profileContender(label: string, ops: number, rounds: number): Promise<void> {
  const collection = new StubCollection('stub', process.env.PROFILE_NO_BSON === '1');
  if (label === PASS_THROUGH) passCiphersThrough();
  const store = await openStub(label, collection);
  const sids = Array.from({ length: 32 }, (_, i) => `cpu-${i}`);
  const session = typicalSession() as unknown as SessionData;
  for (const sid of sids) await store.set(sid, session);
  collection.seal();
  const gets: Loop = async () => {
    for (let i = 0; i < ops; i++) await store.get(sids[i % sids.length]!);
  };
  const sets: Loop = async () => {
    for (let i = 0; i < ops; i++) await store.set(sids[i % sids.length]!, session);
  };
  // Warm-up: the JIT settles before anything is timed or sampled.
  await gets();
  await sets();
  const inspector = new Session();
  inspector.connect();
  await post(inspector, 'Profiler.enable');
  await post(inspector, 'Profiler.setSamplingInterval', { interval: 50 });
  console.log(`${label}: ${rounds} rounds x ${ops} operations, sampled every 50 us`);
  printSteps('get', await profiled(inspector, gets, rounds), await timed(gets, ops, rounds));
  printSteps('set', await profiled(inspector, sets, rounds), await timed(sets, ops, rounds));
  inspector.disconnect();
}

if (require.main === module) {
  const first = process.argv[2] ?? OURS;
  const run = first.endsWith('.cpuprofile')
    ? Promise.resolve().then(() => {
        const totals = attribute(JSON.parse(readFileSync(first, 'utf8')) as Profile, process.env.PROFILE_FUNCTIONS === '1');
        const all = [...totals.values()].reduce((a, b) => a + b, 0);
        printSteps(`${first}, ${(all / 1e6).toFixed(2)} s sampled (microseconds: per 100 us of it)`, totals, 100);
      })
    : profileContender(first, Number(process.argv[3] ?? 4000), Number(process.argv[4] ?? 9));
  run.catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
