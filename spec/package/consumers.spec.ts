import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { withProgress } from '../support/progress';
import { runCommand as run } from '../support/run';

/*
 * The package as users get it: `npm pack`, installed into a scratch project with its peer
 * dependencies from the registry, then loaded from CommonJS, ESM and TypeScript.
 */

const ROOT = path.resolve(__dirname, '../..');
const SCRATCH = path.join(ROOT, '.tmp', 'consumers');
const APP = path.join(SCRATCH, 'app');
const NPM = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];

describe('the packed package, installed in a scratch project', function () {
  this.timeout(300_000);
  let files: string[];

  before(async () => {
    let step = 'npm pack';
    await withProgress('packing the package, then installing it with its peers', prepare, () => step);

    async function prepare(): Promise<void> {
      fs.rmSync(SCRATCH, { recursive: true, force: true });
      fs.mkdirSync(APP, { recursive: true });
      const packed = await run([...NPM, 'pack', '--silent', '--pack-destination', SCRATCH], ROOT);
      const tarball = packed.trim().split('\n').pop()!;
      files = (await run(['tar', '-tzf', path.join(SCRATCH, tarball)], ROOT)).trim().split('\n');
      fs.writeFileSync(path.join(APP, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
      const typescript = (
        JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/typescript/package.json'), 'utf8')) as { version: string }
      ).version;
      const peers = ['mongodb@7', 'express-session@1', `typescript@${typescript}`, '@types/node@20', '@types/express-session@1'];
      step = `npm install of ${tarball} and ${peers.join(', ')}, from the registry`;
      await run([...NPM, 'install', '--no-audit', '--no-fund', '--loglevel=error', path.join(SCRATCH, tarball), ...peers], APP);
    }
  });

  it('holds only what runs: built code, types, README and docs, CHANGELOG, LICENSE', () => {
    const outside = files.filter(
      (file) =>
        !/^package\/(dist\/([\w-]+\/)*[\w-]+\.(js|mjs|d\.ts|d\.mts)|types\/index\.d\.m?ts|README\.md|docs\/[\w-]+\.md|CHANGELOG\.md|LICENSE|package\.json)$/.test(
          file,
        ),
    );
    expect(outside).to.deep.equal([]);
    // The README's links into docs/ work on the registry's page and in node_modules too.
    const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));
    const pages = docs.map((name) => `package/docs/${name}`);
    for (const needed of ['package/dist/index.js', 'package/dist/index.mjs', 'package/types/index.d.ts', 'package/LICENSE', ...pages]) {
      expect(files).to.include(needed);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(APP, 'node_modules/express-session-mongodb/package.json'), 'utf8'));
    expect(manifest.exports['.']).to.have.all.keys('import', 'require');
    expect(manifest.exports['.'].import).to.have.keys('types', 'default');
    expect(manifest.exports['.'].require).to.have.keys('types', 'default');
  });

  it('CommonJS require() returns the function itself', async () => {
    const out = await run(
      [
        process.execPath,
        '-e',
        "const c = require('express-session-mongodb'); console.log([typeof c, c.default === c, c.createStore === c, c.length].join())",
      ],
      APP,
    );
    expect(out.trim()).to.equal('function,true,true,3');
  });

  it('ESM default and named imports are the same function', async () => {
    const out = await run(
      [
        process.execPath,
        '--input-type=module',
        '-e',
        "import c, { createStore } from 'express-session-mongodb'; console.log([typeof c, c === createStore].join());",
      ],
      APP,
    );
    expect(out.trim()).to.equal('function,true');
  });

  const program = (importLine: string): string => `${importLine}
import { MongoClient } from 'mongodb';

declare module 'express-session' {
  interface SessionData {
    user: { name: string };
  }
}

const options: createStore.Options = { TimeToLive: 3600, TouchInterval: 60, Filter: true, DeleteFlags: true };
const keys: string[] = ['a'.repeat(32)];
const encrypted: createStore.Options = { EncryptionKeys: [...keys, Buffer.alloc(32)] };
const turningOff: createStore.Options = { EncryptionKeys: [null, ...keys] };
void [encrypted, turningOff];
const store: createStore.SessionStore = createStore(new MongoClient('mongodb://localhost').db('app'), (err: Error | null) => void err, options);
store.get('sid', (err, session) => void (err ?? session?.user.name.toUpperCase()));
const name: Promise<string | undefined> = store.get('sid').then((session) => session?.user.name);
const flagged: Promise<number> = store.FlagDeletion(null);
const byUser: createStore.Options = { UserKey: (session) => session.user.name };
const revoked: Promise<number> = store.FlagUserSessions('alice', 'sid');
store.UserSessions(42, (err, sessions) => void (err ?? sessions?.map((s) => s.expires?.getTime() ?? s.id)));
void [name, flagged, byUser, revoked];
`;

  const setups: Array<{ name: string; compilerOptions: Record<string, unknown>; file: string; importLine: string }> = [];
  for (const esModuleInterop of [true, false]) {
    // TypeScript 6 deprecates esModuleInterop false, but still compiles with it.
    const deprecated = esModuleInterop ? {} : { ignoreDeprecations: '6.0' };
    const importLine = esModuleInterop
      ? "import createStore from 'express-session-mongodb';"
      : "import createStore = require('express-session-mongodb');";
    setups.push(
      {
        name: `module commonjs, esModuleInterop ${esModuleInterop}`,
        compilerOptions: { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0', esModuleInterop },
        file: 'consumer.ts',
        importLine,
      },
      {
        name: `module node16, esModuleInterop ${esModuleInterop}`,
        compilerOptions: { module: 'node16', esModuleInterop, ...deprecated },
        file: 'consumer.cts',
        importLine,
      },
      {
        name: `module nodenext, esModuleInterop ${esModuleInterop}`,
        compilerOptions: { module: 'nodenext', esModuleInterop, ...deprecated },
        file: 'consumer.cts',
        importLine,
      },
      {
        name: `module nodenext, ESM file, esModuleInterop ${esModuleInterop}`,
        compilerOptions: { module: 'nodenext', esModuleInterop, ...deprecated },
        file: 'consumer.mts',
        importLine: "import createStore from 'express-session-mongodb';",
      },
    );
  }
  for (const setup of setups) {
    it(`type-checks with strict TypeScript, ${setup.name}`, async () => {
      const dir = path.join(APP, setup.name.replace(/\W+/g, '-'));
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, setup.file), program(setup.importLine));
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, types: ['node'], ...setup.compilerOptions },
          files: [setup.file],
        }),
      );
      const tsc = [process.execPath, path.join(APP, 'node_modules/typescript/bin/tsc'), '-p', dir];
      await withProgress(`tsc -p ${path.relative(ROOT, dir)}`, run(tsc, APP));
    });
  }
});
