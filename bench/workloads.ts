import type { SessionData } from 'express-session';
import type { Contender } from './contenders';
import type { SessionOps } from './floor';
import type { BenchApp } from './http-app';
import { rollingCookieJson, typicalSession } from './payload';
import { countsSince, type CommandCounts } from './server';
import { msSince, now } from './stats';

/*
 * The workloads. One operation is what one request of that kind costs the store:
 * read-mostly = get + touch (express-session with resave: false, session unchanged),
 * write = get + set (session changed on every request), new = set of a new ID,
 * rolling = get + touch of a session whose cookie has a maxAge, renewed by every request
 * (express-session renews it and hands it to touch; rolling: true sends it to the browser),
 * update = set of an existing session, changed, alone (store API only: over HTTP a get comes first).
 */

export type Kind = 'read-mostly' | 'write' | 'new' | 'rolling' | 'update';

export const KINDS: ReadonlyArray<{ kind: Kind; label: string; storeOnly?: true }> = [
  { kind: 'read-mostly', label: 'read-mostly (get + touch)' },
  { kind: 'write', label: 'write every request (get + set)' },
  { kind: 'new', label: 'new sessions (set of a new ID)' },
  { kind: 'rolling', label: 'rolling cookie (get + touch, cookie renewed)' },
  { kind: 'update', label: 'set of an existing session (changed, no get)', storeOnly: true },
];

/** Makes every `update` operation's session differ from the one stored before it. */
let updates = 0;

export interface BatchResult {
  ops: number;
  ms: number;
  /** Per operation, in ms. */
  latencies: ArrayLike<number>;
  sent: CommandCounts;
  errors: number;
  firstError?: string;
  /** CPU time the server process used during the batch, in ms (see BenchServer.cpuMs); NaN when not known. */
  serverCpuMs?: number;
}

async function storeOp(kind: Kind, ops: SessionOps, sid: string): Promise<void> {
  if (kind === 'new') {
    await ops.set(sid, typicalSession() as unknown as SessionData);
    return;
  }
  if (kind === 'update') {
    await ops.set(sid, { ...typicalSession(), visits: updates++ } as unknown as SessionData);
    return;
  }
  const session = await ops.get(sid);
  if (!session) throw new Error(`session ${sid} was not found`);
  if (kind === 'read-mostly') {
    await ops.touch(sid, session);
  } else if (kind === 'rolling') {
    session.cookie = { ...session.cookie, ...rollingCookieJson() } as SessionData['cookie'];
    await ops.touch(sid, session);
  } else {
    session.visits = (session.visits ?? 0) + 1;
    await ops.set(sid, session);
  }
}

/** `amount` operations through the store's API, `concurrency` at a time; `sidFor(k)` names the k-th operation's session. */
export async function runStoreBatch(
  contender: Contender,
  kind: Kind,
  concurrency: number,
  amount: number,
  sidFor: (k: number) => string,
): Promise<BatchResult> {
  const latencies = new Float64Array(amount);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const before = contender.counter.snapshot();
  const start = now();
  const worker = async (): Promise<void> => {
    for (let k = next++; k < amount; k = next++) {
      const t0 = now();
      try {
        await storeOp(kind, contender.ops, sidFor(k));
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
      latencies[k] = msSince(t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = msSince(start);
  return { ops: amount, ms, latencies, sent: countsSince(before, contender.counter.snapshot()), errors, firstError };
}

interface AutocannonResult {
  errors: number;
  timeouts: number;
}
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  amount: number;
  headers: Record<string, string>;
  sampleInt: number;
  timeout: number;
}) => AutocannonInstance;
// autocannon ships no types; this is the part of its programmatic API used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

/** The workloads that run over HTTP too. */
export type HttpKind = Exclude<Kind, 'update'>;

const PATHS: Record<HttpKind, string> = { 'read-mostly': '/read', write: '/write', new: '/login', rolling: '/rolling/read' };

/**
 * `amount` full request cycles against the app, `concurrency` connections, driven by
 * autocannon. Latencies are autocannon's per-response times (process.hrtime, client side);
 * the batch ends at the last response, not when autocannon next samples.
 */
export async function runHttpBatch(
  contender: Contender,
  app: BenchApp,
  kind: HttpKind,
  concurrency: number,
  amount: number,
): Promise<BatchResult> {
  const latencies: number[] = [];
  let notOk = 0;
  let end = 0n;
  const before = contender.counter.snapshot();
  const start = now();
  const instance = autocannon({
    url: app.url + PATHS[kind],
    connections: concurrency,
    amount,
    // New sessions: no cookie, so every request makes one.
    headers: kind === 'new' ? {} : { cookie: kind === 'rolling' ? app.rollingCookie : app.cookie },
    sampleInt: 50,
    timeout: 30,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    if (statusCode !== 200) notOk++;
    end = now();
  });
  const result = await instance;
  const ms = Number((end || now()) - start) / 1e6;
  const sent = countsSince(before, contender.counter.snapshot());
  const errors = notOk + result.errors + result.timeouts;
  return {
    ops: latencies.length,
    ms,
    latencies,
    sent,
    errors,
    firstError: errors ? `${notOk} non-200 answers, ${result.errors} connection errors, ${result.timeouts} timeouts` : undefined,
  };
}
