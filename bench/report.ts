import {
  BASELINE_SUFFIX,
  CIPHER,
  CONNECT_MONGO,
  FLOOR,
  OURS,
  OURS_ENCRYPTED,
  PASS_THROUGH,
  OURS_FILTER,
  OURS_TOUCH_60,
} from './contenders';
import type { Kind } from './workloads';
import { KINDS, type BatchResult } from './workloads';
import type { CpuCost } from './client-cpu';
import { median, percentile, spread } from './stats';

/* Accumulates batches into cells (one workload x one contender) and prints the results. */

export type Level = 'store' | 'http';

export interface Group {
  level: Level;
  kind: Kind;
  ttl: boolean;
  concurrency: number;
}

export interface Cell {
  ops: number;
  ms: number;
  latencies: number[];
  commands: number;
  writes: number;
  byName: Record<string, number>;
  errors: number;
  firstError?: string;
  /** ops/s of each round, to show how far rounds landed apart. */
  rounds: number[];
  /** The server's CPU ms per operation in each round (NaN: not known). */
  serverRounds: number[];
  serverMs: number;
}

export const groupKey = (g: Group): string => `${g.level}|${g.kind}|${g.ttl}|${g.concurrency}`;

export class Results {
  private readonly cells = new Map<string, Cell>();

  add(group: Group, contender: string, batch: BatchResult): void {
    const key = `${groupKey(group)}|${contender}`;
    let cell = this.cells.get(key);
    if (!cell)
      this.cells.set(
        key,
        (cell = { ops: 0, ms: 0, latencies: [], commands: 0, writes: 0, byName: {}, errors: 0, rounds: [], serverRounds: [], serverMs: 0 }),
      );
    cell.ops += batch.ops;
    cell.ms += batch.ms;
    for (let i = 0; i < batch.latencies.length; i++) cell.latencies.push(batch.latencies[i]!);
    cell.commands += batch.sent.commands;
    cell.writes += batch.sent.writes;
    for (const [name, n] of Object.entries(batch.sent.byName)) cell.byName[name] = (cell.byName[name] ?? 0) + n;
    cell.errors += batch.errors;
    cell.firstError ??= batch.firstError;
    cell.rounds.push((batch.ops * 1000) / batch.ms);
    const serverMs = batch.serverCpuMs ?? NaN;
    cell.serverMs += serverMs;
    cell.serverRounds.push(serverMs / batch.ops);
  }

  get(group: Group, contender: string): Cell | undefined {
    return this.cells.get(`${groupKey(group)}|${contender}`);
  }

  rate(group: Group, contender: string): number {
    const cell = this.get(group, contender);
    return cell ? (cell.ops * 1000) / cell.ms : NaN;
  }

  /**
   * The median over rounds of a's ops/s over b's in the same round. Batches of one round
   * run minutes apart at most, so a stall of the server or machine that hits one batch
   * moves one round's ratio, not the median.
   */
  pairedRatio(group: Group, a: string, b: string, of: 'rounds' | 'serverRounds' = 'rounds'): number {
    const ra = this.get(group, a)?.[of];
    const rb = this.get(group, b)?.[of];
    if (!ra || !rb || ra.length !== rb.length) return NaN;
    return median(ra.map((rate, i) => rate / rb[i]!));
  }
}

const LEVEL_LABEL: Record<Level, string> = { store: 'store API', http: 'HTTP (express + express-session, autocannon)' };
const kindLabel = (kind: Kind): string => KINDS.find((k) => k.kind === kind)!.label;
const ttlLabel = (ttl: boolean, seconds: number): string => (ttl ? `TimeToLive ${seconds} s` : 'TimeToLive off');

export function groupTitle(g: Group, ttlSeconds: number): string {
  return `${LEVEL_LABEL[g.level]} | ${kindLabel(g.kind)} | ${ttlLabel(g.ttl, ttlSeconds)} | concurrency ${g.concurrency}`;
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function printTable(groups: Group[], contendersOf: (g: Group) => string[], results: Results, ttlSeconds: number): void {
  const head = ['contender', 'ops/s', 'p50 ms', 'p99 ms', 'trips/op', 'writes/op', 'x floor', 'med', 'x c-mongo', 'med', 'rounds +-'];
  const widths = [30, 7, 8, 8, 9, 10, 8, 6, 10, 6, 10];
  const line = (cols: string[]): string => cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
  const errors: string[] = [];
  for (const g of groups) {
    console.log(`\n${groupTitle(g, ttlSeconds)}`);
    console.log(line(head));
    const floor = results.rate(g, FLOOR);
    const cm = results.rate(g, CONNECT_MONGO);
    for (const name of contendersOf(g)) {
      const cell = results.get(g, name);
      if (!cell) continue;
      const rate = (cell.ops * 1000) / cell.ms;
      console.log(
        line([
          name,
          fixed(rate, 0),
          fixed(percentile(cell.latencies, 50), 2),
          fixed(percentile(cell.latencies, 99), 2),
          fixed(cell.commands / cell.ops, 2),
          fixed(cell.writes / cell.ops, 2),
          fixed(rate / floor, 2),
          fixed(results.pairedRatio(g, name, FLOOR), 2),
          fixed(rate / cm, 2),
          fixed(results.pairedRatio(g, name, CONNECT_MONGO), 2),
          `${fixed(spread(cell.rounds) * 50, 0)}%`,
        ]),
      );
      if (cell.errors) errors.push(`${groupTitle(g, ttlSeconds)} / ${name}: ${cell.errors} errors, first: ${cell.firstError}`);
    }
  }
  console.log(
    "\nx floor, x c-mongo: ops/s of all rounds over the other's; med: the median over rounds of the same ratio within each round." +
      '\nrounds +-: half the spread (max - min) / mean of the per-round ops/s of that row.',
  );
  if (errors.length) console.log(`\nERRORS:\n${errors.join('\n')}`);
  else console.log('No operation or request failed.');
}

const pct = (n: number): string => `${fixed(n * 100, 1)}%`;

/** The targets, checked against the rows they concern. */
export function printTargets(groups: Group[], results: Results, ttlSeconds: number): void {
  console.log('\nTargets');
  const check = (
    title: string,
    rows: { g: Group; value: number; paired: number }[],
    ok: (v: number) => boolean,
    show: (v: number) => string,
  ): void => {
    // A workload left out of the run (BENCH_KINDS) has nothing to check.
    if (rows.length === 0) return;
    for (const [how, pick] of [
      ['all rounds', (r: { value: number }) => r.value],
      ['median of rounds', (r: { paired: number }) => r.paired],
    ] as const) {
      const misses = rows.filter((r) => !ok(pick(r)));
      const values = rows.map(pick).filter(Number.isFinite);
      console.log(
        `  ${misses.length ? 'MISSED' : 'met   '} ${title} (${how}): range ${show(Math.min(...values))} .. ${show(Math.max(...values))}`,
      );
      for (const r of misses) console.log(`           ${show(pick(r))} at ${groupTitle(r.g, ttlSeconds)}`);
    }
  };
  // Three decimals, so that a miss never prints as the target itself.
  const ratio = (v: number): string => `${fixed(v, 3)}x`;
  const rows = (name: string, against: string, which = groups) =>
    which.map((g) => ({ g, value: results.rate(g, name) / results.rate(g, against), paired: results.pairedRatio(g, name, against) }));
  check('this store >= 0.9x the floor, every workload', rows(OURS, FLOOR), (v) => v >= 0.9, ratio);
  // The floor's set is the raw driver's upsert by `_id`: one round trip, as this store's should be.
  const updates = groups.filter((g) => g.kind === 'update');
  check('this store >= 0.95x the floor, set of an existing session', rows(OURS, FLOOR, updates), (v) => v >= 0.95, ratio);
  check('this store, Filter >= 0.9x the floor, every workload', rows(OURS_FILTER, FLOOR), (v) => v >= 0.9, ratio);
  const ttlGroups = groups.filter((g) => g.ttl);
  check('this store, TouchInterval 60 >= 0.9x the floor, every workload', rows(OURS_TOUCH_60, FLOOR, ttlGroups), (v) => v >= 0.9, ratio);
  check('this store >= 1.0x connect-mongo, every workload', rows(OURS, CONNECT_MONGO), (v) => v >= 1, ratio);
  check(
    'this store, TouchInterval 60 >= 1.0x connect-mongo, every TimeToLive workload',
    rows(OURS_TOUCH_60, CONNECT_MONGO, ttlGroups),
    (v) => v >= 1,
    ratio,
  );
  const readTtl = groups.filter((g) => g.ttl && g.kind === 'read-mostly');
  check('this store >= 1.5x connect-mongo, read-mostly with TimeToLive', rows(OURS, CONNECT_MONGO, readTtl), (v) => v >= 1.5, ratio);
  check(
    'this store, TouchInterval 60 >= 1.5x connect-mongo, read-mostly with TimeToLive',
    rows(OURS_TOUCH_60, CONNECT_MONGO, readTtl),
    (v) => v >= 1.5,
    ratio,
  );
  // Cost = time per operation with Filter over without, minus one.
  const filterCost = groups.map((g) => ({
    g,
    value: results.rate(g, OURS) / results.rate(g, OURS_FILTER) - 1,
    paired: results.pairedRatio(g, OURS, OURS_FILTER) - 1,
  }));
  check('Filter costs <= 20% over no Filter (time per operation)', filterCost, (v) => v <= 0.2, pct);

  console.log('\nTouchInterval 60 vs 0, read-mostly with TimeToLive on: writes per operation');
  for (const g of readTtl) {
    const w0 = results.get(g, OURS);
    const w60 = results.get(g, OURS_TOUCH_60);
    if (!w0 || !w60) continue;
    const per0 = w0.writes / w0.ops;
    const per60 = w60.writes / w60.ops;
    console.log(`  ${groupTitle(g, ttlSeconds)}: ${fixed(per0, 3)} -> ${fixed(per60, 3)} writes/op, ${pct(1 - per60 / per0)} fewer`);
  }
}

/**
 * The server's CPU time per operation (our FerretDB process, from /proc): what each store
 * makes the server do, which other processes on the machine do not inflate as they do
 * elapsed time. Includes the server's own background work during the batch.
 */
export function printServerCpu(groups: Group[], contendersOf: (g: Group) => string[], results: Results, ttlSeconds: number): void {
  const known = groups.some((g) => contendersOf(g).some((name) => Number.isFinite(results.get(g, name)?.serverMs)));
  if (!known) return;
  console.log("\nServer CPU per operation (ms; x floor: over the floor's, all rounds; med: median over rounds of the ratio within each)");
  for (const g of groups) {
    console.log(`  ${groupTitle(g, ttlSeconds)}`);
    const floor = results.get(g, FLOOR);
    const floorPerOp = floor ? floor.serverMs / floor.ops : NaN;
    for (const name of contendersOf(g)) {
      const cell = results.get(g, name);
      if (!cell) continue;
      const perOp = cell.serverMs / cell.ops;
      const paired = results.pairedRatio(g, name, FLOOR, 'serverRounds');
      console.log(
        `    ${name.padEnd(30)} ${fixed(perOp, 3).padStart(7)}  x floor ${fixed(perOp / floorPerOp, 2)}  med ${fixed(paired, 2)}`,
      );
    }
  }
}

/** Which commands each contender sent per operation: where the round trips and writes come from. */
export function printCommandMix(groups: Group[], contendersOf: (g: Group) => string[], results: Results, ttlSeconds: number): void {
  console.log('\nCommands sent per operation (all rounds)');
  for (const g of groups) {
    console.log(`  ${groupTitle(g, ttlSeconds)}`);
    for (const name of contendersOf(g)) {
      const cell = results.get(g, name);
      if (!cell) continue;
      const mix = Object.entries(cell.byName)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([command, n]) => `${command} ${fixed(n / cell.ops, 3)}`)
        .join(', ');
      console.log(`    ${name.padEnd(30)} ${mix || '(none)'}`);
    }
  }
}

export function printClientCpu(costs: CpuCost[], opsPerRound: number, rounds: number): void {
  console.log(
    `\nClient-side CPU per operation, no server (stub collection doing the driver's BSON work; process CPU time, wall time in brackets; median of ${rounds} rounds x ${opsPerRound} gets and sets each)`,
  );
  const floor = costs.find((c) => c.label === FLOOR)!;
  const width = Math.max(44, ...costs.map((c) => c.label.length));
  console.log(
    `  ${'contender'.padEnd(width)} ${'get us'.padStart(8)} ${'(wall)'.padStart(7)} ${'set us'.padStart(8)} ${'(wall)'.padStart(7)} ${'get - floor'.padStart(12)} ${'set - floor'.padStart(12)}`,
  );
  for (const c of costs) {
    // node:crypto alone is no store: its get opens, its set seals.
    const minus =
      c.label === CIPHER ? ['(open)', '(seal)'] : [fixed(c.getMicros - floor.getMicros, 1), fixed(c.setMicros - floor.setMicros, 1)];
    console.log(
      `  ${c.label.padEnd(width)} ${fixed(c.getMicros, 1).padStart(8)} ${`(${fixed(c.wall?.getMicros ?? NaN, 1)})`.padStart(7)} ${fixed(c.setMicros, 1).padStart(8)} ${`(${fixed(c.wall?.setMicros ?? NaN, 1)})`.padStart(7)} ${minus[0]!.padStart(12)} ${minus[1]!.padStart(12)}`,
    );
  }
  const plain = costs.find((c) => c.label === OURS)!;
  const filter = costs.find((c) => c.label === OURS_FILTER)!;
  console.log(
    `  Filter's client-side cost: get ${pct(filter.getMicros / plain.getMicros - 1)}, set ${pct(filter.setMicros / plain.setMicros - 1)} ` +
      `(+${fixed(filter.getMicros - plain.getMicros, 1)} us and +${fixed(filter.setMicros - plain.setMicros, 1)} us per operation)`,
  );
  const encrypted = costs.find((c) => c.label === OURS_ENCRYPTED);
  if (encrypted) printPairedRatios('EncryptionKeys', encrypted, plain);
  for (const base of costs.filter((c) => c.label.endsWith(BASELINE_SUFFIX))) {
    const now = costs.find((c) => c.label === base.label.slice(0, -BASELINE_SUFFIX.length));
    if (now) printPairedRatios(now.label, now, base, 'its baseline build');
  }
  printClientCpuTargets(costs, 'process CPU time');
  if (costs.every((c) => c.wall))
    printClientCpuTargets(
      costs.map((c) => c.wall!),
      'wall time',
    );
}

type Pick = (c: CpuCost, round: number) => number;
const getOf: Pick = (c, i) => c.getRounds[i]!;
const setOf: Pick = (c, i) => c.setRounds[i]!;
/** A get or a set: its per-round and median microseconds. */
type Op = { name: 'get' | 'set'; pick: Pick; median: (c: CpuCost) => number };
const GET: Op = { name: 'get', pick: getOf, median: (c) => c.getMicros };
const SET: Op = { name: 'set', pick: setOf, median: (c) => c.setMicros };
/** A value from the medians over rounds (round null), or within round i. */
type Value = (i: number | null) => number;
/** Prints a target as met or MISSED: from the medians and paired per round, both within it. */
type Check = (title: string, value: Value, ok: (v: number) => boolean, show: (v: number) => string) => void;

// Three decimals, so that a miss never prints as the target itself.
const ratio = (v: number): string => `${fixed(v, 3)}x`;
const micros = (v: number): string => `${fixed(v, 2)} us`;
/** `of` over `base` for one kind. */
const over =
  (of: CpuCost, base: CpuCost, kind: Op): Value =>
  (i) =>
    i === null ? kind.median(of) / kind.median(base) : kind.pick(of, i) / kind.pick(base, i);
/** `of` minus `base` for one kind. */
const minus =
  (of: CpuCost, base: CpuCost, kind: Op): Value =>
  (i) =>
    i === null ? kind.median(of) - kind.median(base) : kind.pick(of, i) - kind.pick(base, i);

/**
 * Issue 21's targets, each both ways: from the medians over rounds, and as the median of the
 * value paired within each round (the contenders of a round ran seconds apart at most).
 */
function printClientCpuTargets(costs: CpuCost[], clock: string): void {
  const find = (label: string): CpuCost | undefined => costs.find((c) => c.label === label);
  const [floor, plain, filter] = [FLOOR, OURS, OURS_FILTER].map(find);
  if (!floor || !plain) return;
  console.log(`\nTargets, client-side CPU (${clock})`);
  const rounds = plain.getRounds.map((_, i) => i);
  const check: Check = (title, value, ok, show) => {
    const medians = value(null);
    const paired = percentile(rounds.map(value), 50);
    const met = ok(medians) && ok(paired);
    console.log(`  ${met ? 'met   ' : 'MISSED'} ${title}: ${show(medians)} (medians), ${show(paired)} (paired per round)`);
  };
  check('this store set <= 2.0x the floor', over(plain, floor, SET), (v) => v <= 2, ratio);
  check('this store get <= 1.3x the floor', over(plain, floor, GET), (v) => v <= 1.3, ratio);
  for (const kind of filter ? [GET, SET] : []) {
    check(`Filter ${kind.name} <= 1.25x this store`, over(filter!, plain, kind), (v) => v <= 1.25, ratio);
  }
  const [encrypted, passing, cipher] = [OURS_ENCRYPTED, PASS_THROUGH, CIPHER].map(find);
  if (encrypted && cipher) printEncryptionTargets(check, { plain, encrypted, passing, cipher }, rounds);
}

/**
 * EncryptionKeys adds at most the cipher's own cost plus 3 us. The cipher's own cost is taken
 * inside the store: EncryptionKeys minus the same store with a pass-through cipher (its
 * garbage and all), so what is left over the plain store is the store's own work. node:crypto
 * in its own loop is shown beside it: it leaves little garbage there, so most of its rounds
 * see no collection and its median round has none; the mean over rounds carries its share.
 */
function printEncryptionTargets(
  check: Check,
  stores: { plain: CpuCost; encrypted: CpuCost; passing: CpuCost | undefined; cipher: CpuCost },
  rounds: number[],
): void {
  const { plain, encrypted, passing, cipher } = stores;
  for (const kind of [GET, SET]) {
    const step = kind === GET ? 'open' : 'seal';
    const added = minus(encrypted, plain, kind);
    const alone = rounds.map((i) => kind.pick(cipher, i));
    const beyondAlone: Value = (i) => added(i) - kind.median(cipher);
    if (!passing) {
      check(`EncryptionKeys ${kind.name} - this store - ${step} alone <= 3 us`, beyondAlone, (v) => v <= 3, micros);
      continue;
    }
    const inside = minus(encrypted, passing, kind);
    console.log(
      `  info   EncryptionKeys ${kind.name} - this store: ${micros(added(null))}; node:crypto's ${step}: ${micros(inside(null))} inside the store ` +
        `(${micros(percentile(rounds.map(inside), 50))} paired), alone ${micros(kind.median(cipher))} (median round), ` +
        `${micros(alone.reduce((sum, v) => sum + v, 0) / alone.length)} (mean of rounds); this store - ${step} alone: ${micros(beyondAlone(null))}`,
    );
    check(
      `EncryptionKeys ${kind.name} - this store - ${step} inside the store <= 3 us`,
      minus(passing, plain, kind),
      (v) => v <= 3,
      micros,
    );
  }
}

/**
 * `of` over `base`, paired within each round (the two ran minutes apart at most, seconds
 * usually), then the median and range over rounds: a get, a set, and a get plus a set.
 */
function printPairedRatios(name: string, of: CpuCost, base: CpuCost, baseName = 'this store'): void {
  const ratios = (pick: (c: CpuCost, i: number) => number): number[] => of.getRounds.map((_, i) => pick(of, i) / pick(base, i));
  const kinds: Array<[string, number[]]> = [
    ['get', ratios((c, i) => c.getRounds[i]!)],
    ['set', ratios((c, i) => c.setRounds[i]!)],
    ['get + set', ratios((c, i) => c.getRounds[i]! + c.setRounds[i]!)],
  ];
  const shown = kinds.map(
    ([kind, list]) =>
      `${kind} x${fixed(percentile(list, 50), 3)} (rounds x${fixed(Math.min(...list), 3)} to x${fixed(Math.max(...list), 3)})`,
  );
  console.log(`  ${name} over ${baseName}, paired per round, median of ${of.getRounds.length}: ${shown.join('; ')}`);
}
