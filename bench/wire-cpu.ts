import type { SessionData } from 'express-session';
import { MongoClient } from 'mongodb';
import type Types from '../types';
import { typicalSession } from './payload';
import { percentile } from './stats';

/*
 * The application process's CPU for a get and a set against a real server (FerretDB, started
 * here, or MONGODB_URI), this store with and without EncryptionKeys, rounds interleaved and
 * paired: everything the client spends (the store, the driver, the sockets, garbage
 * collection) and nothing the server does, which runs in another process. Each set changes
 * the session, so that every one is sealed anew. bench/client-cpu.ts measures the store's own
 * share against a stub instead, where the sealing weighs far more.
 *
 *   npm run build && node -r ts-node/register/transpile-only bench/wire-cpu.ts [pairsPerRound] [rounds]
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const createStore = require('../dist') as Types.CreateStore;
const BENCH_KEY = 'bench-only key: 32 characters at least';

interface Side {
  label: string;
  store: Types.SessionStore;
  get: number[];
  set: number[];
}

async function open(client: MongoClient, label: string, options: Types.Options): Promise<Side> {
  const store = createStore(client.db('esm_wire_cpu'), null, { CollectionName: label.replace(/\W/g, '_'), ...options });
  await store.ready();
  return { label, store, get: [], set: [] };
}

const SIDS = Array.from({ length: 32 }, (_, i) => `wire-${i}`);

/** Client CPU microseconds per call of `run` over `count` calls. */
async function cpuPer(count: number, run: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < count; i++) await run(i);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / count;
}

/** Client CPU per get, then per set (each a changed session), over `count` of each. */
async function round(side: Side, count: number, offset: number): Promise<[number, number]> {
  const sessions: SessionData[] = [];
  const get = await cpuPer(count, async (i) => sessions.push((await side.store.get(SIDS[i % SIDS.length]!))!));
  const set = await cpuPer(count, (i) => {
    const session = sessions[i] ?? (typicalSession() as unknown as SessionData);
    (session as SessionData & { visits?: number }).visits = offset + i;
    return side.store.set(SIDS[i % SIDS.length]!, session);
  });
  return [get, set];
}

async function main(): Promise<void> {
  const pairs = Number(process.argv[2] ?? 400);
  const rounds = Number(process.argv[3] ?? 9);
  let server: { uri: string; stop(): Promise<void> } | undefined;
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    server = await (require('../ferretdb') as { start(): Promise<{ uri: string; stop(): Promise<void> }> }).start();
    uri = server.uri;
  }
  const client = new MongoClient(uri, { maxPoolSize: 10 });
  try {
    const plain = await open(client, 'plain', {});
    const sealed = await open(client, 'sealed', { EncryptionKeys: [BENCH_KEY] });
    for (const side of [plain, sealed]) for (const sid of SIDS) await side.store.set(sid, typicalSession() as unknown as SessionData);
    const ratios = { get: [] as number[], set: [] as number[] };
    for (let r = -1; r < rounds; r++) {
      // Alternate which goes first, so that neither always runs on a warmer process.
      const order = r % 2 === 0 ? [plain, sealed] : [sealed, plain];
      const got = new Map<Side, [number, number]>();
      for (const side of order) got.set(side, await round(side, pairs, r * pairs));
      if (r < 0) continue; // warm-up
      for (const side of order) {
        side.get.push(got.get(side)![0]);
        side.set.push(got.get(side)![1]);
      }
      ratios.get.push(got.get(sealed)![0] / got.get(plain)![0]);
      ratios.set.push(got.get(sealed)![1] / got.get(plain)![1]);
    }
    console.log(
      `Client process CPU per operation against ${server ? 'FerretDB' : 'MONGODB_URI'} (median of ${rounds} rounds x ${pairs} gets and sets)`,
    );
    console.log('  store        get us   set us');
    for (const side of [plain, sealed]) {
      console.log(
        `  ${side.label.padEnd(10)} ${percentile(side.get, 50).toFixed(1).padStart(8)} ${percentile(side.set, 50).toFixed(1).padStart(8)}`,
      );
    }
    const span = (values: number[]): string => {
      const sorted = [...values].sort((a, b) => a - b);
      return `x${percentile(values, 50).toFixed(3)} (rounds x${sorted[0]!.toFixed(3)} to x${sorted.at(-1)!.toFixed(3)})`;
    };
    console.log(`  EncryptionKeys over plaintext, paired per round: get ${span(ratios.get)}; set ${span(ratios.set)}`);
    await client.db('esm_wire_cpu').dropDatabase();
  } finally {
    await client.close();
    await server?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
