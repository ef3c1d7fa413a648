import Module from 'node:module';
import path from 'node:path';

/*
 * The compatibility matrix: ESM_MATRIX="mongodb=mongodb-6,express=express-4" makes every
 * require() of `mongodb` (store, tests, connect-mongo alike) load the npm alias `mongodb-6`,
 * so that several versions installed side by side each run the same tests. A package never
 * has its own name redirected (mongodb-legacy requires the `mongodb` it wraps).
 *
 * Driver 3.x names two things differently from the API the tests are written against, and the
 * tests are handed what an application on 3.x would use: a MongoClient with the unified
 * topology (which 3.6 and 3.7 warn every application to turn on; the callback app's spec runs
 * the old one), and MongoError where later drivers throw a MongoServerError.
 */

const aliases = new Map(
  (process.env.ESM_MATRIX ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=') as [string, string]),
);

/**
 * The other stores (connect-mongo 6, connect-mongodb-session 5) keep the driver installed for
 * the tests: they need driver 5 or later, so an app that switches from them already runs one,
 * while the store under test still gets the matrix's driver. They share the collection, not a client.
 */
const OTHER_STORES = ['connect-mongo', 'connect-mongodb-session'].map((name) => `${path.sep}node_modules${path.sep}${name}${path.sep}`);

/** The package folder a module file lies in, as `.../node_modules/<name>/`. */
function packageDir(alias: string): string {
  return path.dirname(require.resolve(`${alias}/package.json`)) + path.sep;
}

interface Driver3 {
  MongoClient: new (url: string, options?: Record<string, unknown>) => object;
  MongoError: unknown;
  MongoServerError?: unknown;
}

function adaptDriver3(driver: Driver3): void {
  const Base = driver.MongoClient;
  driver.MongoClient = class extends Base {
    constructor(url: string, options: Record<string, unknown> = {}) {
      super(url, { useUnifiedTopology: true, ...options });
    }
  };
  driver.MongoServerError ??= driver.MongoError;
}

if (aliases.size > 0) {
  type Resolve = (request: string, parent: { filename?: string | null } | undefined, ...rest: unknown[]) => string;
  const internals = Module as unknown as { _resolveFilename: Resolve };
  const resolve = internals._resolveFilename;
  const own = new Map([...aliases.values()].map((alias) => [alias, packageDir(alias)]));
  internals._resolveFilename = function (this: unknown, request, parent, ...rest): string {
    const [name, ...subpath] = request.split('/');
    const alias = aliases.get(name!);
    const from = parent?.filename ?? '';
    const inside = alias !== undefined && (from.startsWith(own.get(alias)!) || OTHER_STORES.some((dir) => from.includes(dir)));
    return resolve.call(this, alias && !inside ? [alias, ...subpath].join('/') : request, parent, ...rest);
  };
  for (const [name, alias] of aliases) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { version } = require(`${alias}/package.json`) as { version: string };
    console.log(`  matrix: ${name} -> ${alias} ${version}`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (name === 'mongodb' && version.startsWith('3.')) adaptDriver3(require(alias) as Driver3);
  }
}

/** The major version of the driver the tests and the store load. */
export function driverMajor(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return Number((require('mongodb/package.json') as { version: string }).version.split('.')[0]);
}
