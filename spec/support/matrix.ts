import Module from 'node:module';

/*
 * The compatibility matrix: ESM_MATRIX="mongodb=mongodb-6,express=express-4" makes every
 * require() of `mongodb` (store, tests, connect-mongo alike) load the npm alias `mongodb-6`,
 * so that several versions installed side by side each run the same tests.
 */

const aliases = new Map(
  (process.env.ESM_MATRIX ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=') as [string, string]),
);

if (aliases.size > 0) {
  type Resolve = (request: string, ...rest: unknown[]) => string;
  const internals = Module as unknown as { _resolveFilename: Resolve };
  const resolve = internals._resolveFilename;
  internals._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    const [name, ...subpath] = request.split('/');
    const alias = aliases.get(name!);
    return resolve.call(this, alias ? [alias, ...subpath].join('/') : request, ...rest);
  };
  for (const [name, alias] of aliases) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { version } = require(`${alias}/package.json`) as { version: string };
    console.log(`  matrix: ${name} -> ${alias} ${version}`);
  }
}
