import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withProgress } from '../support/progress';
import { runCommand } from '../support/run';
import { freshDb, serverUri } from '../support/server';

// The built package, as a user's require() finds it; `npm test` builds it first.
const ROOT = path.resolve(__dirname, '../..');
const SCRATCH = path.join(ROOT, '.tmp', 'package-spec');

function node(args: string[], input?: string): string {
  try {
    return execFileSync(process.execPath, args, { cwd: ROOT, input, encoding: 'utf8', env: { ...process.env, MONGODB_URI: serverUri() } });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${(err as Error).message}\n${stdout ?? ''}${stderr ?? ''}`, { cause: err });
  }
}

describe('the built package', () => {
  before(() => {
    expect(fs.existsSync(path.join(ROOT, 'dist', 'index.js')), 'run `npm run build` first').to.equal(true);
    fs.mkdirSync(SCRATCH, { recursive: true });
  });

  it('require() returns the factory itself, with .default and .createStore pointing at it', () => {
    const out = node([
      '-e',
      `const c = require('express-session-mongodb');
       console.log(JSON.stringify([typeof c, c.default === c, c.createStore === c, c.name, require.resolve('express-session-mongodb')]));`,
    ]);
    const [type, dflt, named, name, resolved] = JSON.parse(out) as [string, boolean, boolean, string, string];
    expect([type, dflt, named, name]).to.deep.equal(['function', true, true, 'createStore']);
    expect(resolved).to.equal(path.join(ROOT, 'dist', 'index.js'));
  });

  it('works from ESM, default and named imports, against a real server', async () => {
    const db = freshDb();
    const script = `
      import createStore, { createStore as named } from 'express-session-mongodb';
      import { MongoClient } from 'mongodb';
      const client = new MongoClient(process.env.MONGODB_URI);
      const store = await new Promise((resolve, reject) =>
        createStore(client.db(${JSON.stringify(db.databaseName)}), (err, s) => (err ? reject(err) : resolve(s))));
      await store.set('esm', { cookie: { path: '/' }, from: 'esm' });
      console.log(JSON.stringify({ same: named === createStore, got: await store.get('esm') }));
      await client.close();`;
    const out = JSON.parse(node(['--input-type=module'], script)) as { same: boolean; got: unknown };
    expect(out.same).to.equal(true);
    expect(out.got).to.deep.equal({ cookie: { path: '/' }, from: 'esm' });
  });

  it('type-checks from TypeScript, CommonJS and ESM, with the 1.x call shape', async function () {
    this.timeout(60_000);
    const cjs = `import createStore from 'express-session-mongodb';
import session from 'express-session';
import { MongoClient } from 'mongodb';
const options: createStore.Options = { TimeToLive: 60, Filter: true };
const client = new MongoClient('mongodb://localhost');
createStore(client.db(), (err: Error | null, store?: createStore.SessionStore) => {
  if (err || !store) return;
  session({ store, secret: 's' });
  store.FlagDeletion(null, (e: Error | null, n?: number) => void [e, n]);
}, options);
const store: createStore.SessionStore = new createStore(client, null);
const length: Promise<number> = store.length();
void length;
`;
    const esm = `import createStore, { createStore as named } from 'express-session-mongodb';
import { MongoClient } from 'mongodb';
const store = named(new MongoClient('mongodb://localhost').db());
const got: Promise<unknown> = createStore(new MongoClient('mongodb://localhost')).get('sid');
void [store, got];
`;
    fs.writeFileSync(path.join(SCRATCH, 'consumer.cts'), cjs);
    fs.writeFileSync(path.join(SCRATCH, 'consumer.mts'), esm);
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [
      '--ignoreConfig',
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--esModuleInterop',
      '--skipLibCheck',
      '--types',
      'node',
    ];
    const files = [path.join(SCRATCH, 'consumer.cts'), path.join(SCRATCH, 'consumer.mts')];
    await withProgress('tsc --strict over consumer.cts and consumer.mts', runCommand([process.execPath, tsc, ...args, ...files], ROOT));
  });
});
