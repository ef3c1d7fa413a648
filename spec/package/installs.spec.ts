import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { serve, snippet, visit } from '../support/apps';
import { freshDb, serverUri, testClient } from '../support/server';
import { sleep } from '../support/store';

/*
 * The packed package, installed with a plain `npm install` (no --legacy-peer-deps, no --force)
 * into a fresh app beside each driver and middleware version the matrix runs (scripts/matrix.js):
 * npm must take every one, and refuse versions below the peer ranges. In the apps of driver 3.7,
 * driver 4.17 and mongodb-legacy 6, with express 4.16 and express-session 1.15, a 2018 callback
 * app (examples/callback-app.js) and the README's callback snippet then run as written, over HTTP.
 * The apps share the npm cache, which `npm ci` of this repository has filled with these versions.
 */

const ROOT = path.resolve(__dirname, '../..');
const SCRATCH = path.join(ROOT, '.tmp', 'installs');
const NPM = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];

// eslint-disable-next-line @typescript-eslint/no-require-imports
const matrix = require('../../scripts/matrix.js') as { AXES: Record<string, string[][]> };

function installed(alias: string): string {
  const { name, version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', alias, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  return `${name}@${version}`;
}

/** The drivers the callback app runs on, each with express 4.16 and express-session 1.15. */
const CALLBACK_DRIVERS = ['mongodb-3', 'mongodb-4', 'mongodb-legacy'];

/** One app per driver version; the other drivers take the middleware versions in turn, so each is installed. */
function apps(): Array<{ driver: string; packages: string[] }> {
  const sessions = matrix.AXES['express-session']!.flat();
  const expresses = matrix.AXES.express!.flat();
  let turn = 0;
  return matrix.AXES.mongodb!.flat().map((alias) => {
    const callback = CALLBACK_DRIVERS.includes(alias);
    const middleware = callback
      ? ['express-session-1.15', 'express-4.16']
      : [sessions[turn % sessions.length]!, expresses[turn++ % expresses.length]!];
    return { driver: alias, packages: [alias, ...middleware].map(installed) };
  });
}

/** Peer checks as npm does them by default, whatever the environment running the tests says. */
function npm(args: string[], cwd: string): { status: number | null; output: string } {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (/^npm_config_(legacy_peer_deps|force|strict_peer_deps)$/i.test(name)) delete env[name];
  const result = spawnSync(NPM[0]!, [...NPM.slice(1), ...args], { cwd, env, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

let tarball: string | undefined;
function packed(): string {
  if (tarball) return tarball;
  fs.rmSync(SCRATCH, { recursive: true, force: true });
  fs.mkdirSync(SCRATCH, { recursive: true });
  const name = npm(['pack', '--silent', '--pack-destination', SCRATCH], ROOT).output.trim().split('\n').pop()!;
  return (tarball = path.join(SCRATCH, name));
}

const made = new Map<string, { dir: string; status: number | null; output: string }>();
/** A fresh app with the packed package and `packages`, installed once. */
function app(id: string, packages: string[]): { dir: string; status: number | null; output: string } {
  const done = made.get(id);
  if (done) return done;
  const tgz = packed();
  const dir = path.join(SCRATCH, id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  const result = { dir, ...npm(['install', '--no-audit', '--no-fund', '--loglevel=error', tgz, ...packages], dir) };
  made.set(id, result);
  return result;
}

function callbackApp(driver: string): string {
  const found = apps().find((one) => one.driver === driver)!;
  const { dir, status, output } = app(driver, found.packages);
  expect(status, output).to.equal(0);
  return dir;
}

/** The database URL of a fresh test database. */
function databaseUrl(): { url: string; db: ReturnType<typeof freshDb> } {
  const db = freshDb();
  const url = new URL(serverUri());
  url.pathname = `/${db.databaseName}`;
  return { url: url.toString(), db };
}

const port = (): number => 20_000 + Math.floor(Math.random() * 20_000);
/** mongodb-legacy's callback API is the driver's, under its own name. */
const forDriver = (code: string, driver: string): string =>
  driver === 'mongodb-legacy' ? code.replace("require('mongodb')", "require('mongodb-legacy')") : code;

describe('npm install of the packed package beside each supported version', function () {
  this.timeout(180_000);

  for (const { driver, packages } of apps()) {
    it(`takes ${packages.join(', ')}`, () => {
      const { dir, status, output } = app(driver, packages);
      expect(status, output).to.equal(0);
      // npm ls fails on a missing or invalid peer dependency.
      const listed = npm(['ls', '--all'], dir);
      expect(listed.status, listed.output).to.equal(0);
      const loaded = spawnSync(process.execPath, ['-e', "console.log(typeof require('express-session-mongodb'))"], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(loaded.stdout.trim(), loaded.stderr).to.equal('function');
    });
  }

  for (const below of ['mongodb@3.5.11', 'mongodb@4.9.1', 'mongodb-legacy@5.0.0', 'express-session@1.14.2']) {
    it(`refuses ${below}, below the peer ranges`, () => {
      const { status, output } = app(`below-${below}`, [below]);
      expect(status).not.to.equal(0);
      expect(output).to.include('ERESOLVE');
    });
  }
});

describe('a 2018 callback app (examples/callback-app.js), installed from the packed package', function () {
  this.timeout(180_000);

  for (const driver of CALLBACK_DRIVERS) {
    it(`${installed(driver)}, express 4.16, express-session 1.15: counts, logs out, flags and cleans up over HTTP`, async () => {
      const dir = callbackApp(driver);
      fs.writeFileSync(
        path.join(dir, 'app.js'),
        forDriver(fs.readFileSync(path.join(ROOT, 'examples', 'callback-app.js'), 'utf8'), driver),
      );
      const { url, db } = databaseUrl();
      const at = port();
      const running = await serve(['app.js'], { MONGODB_URI: url, PORT: String(at), CLEANUP_MS: '200' }, dir);
      try {
        const base = `http://127.0.0.1:${at}`;
        const [ann, bob] = [{ cookie: undefined as string | undefined }, { cookie: undefined as string | undefined }];
        expect([await visit(ann, `${base}/`), await visit(ann, `${base}/`), await visit(bob, `${base}/`)]).to.deep.equal([
          'Views: 1',
          'Views: 2',
          'Views: 1',
        ]);
        expect(await visit(ann, `${base}/sessions`)).to.equal('Sessions: 2');
        expect(await visit(ann, `${base}/logout`, 'POST')).to.equal('Logged out');
        expect(await visit(ann, `${base}/sessions`)).to.equal('Sessions: 1');
        // DeleteFlags: logout flagged the session; the app's Cleanup then removes it.
        const sessions = testClient().db(db.databaseName).collection('Sessions');
        let flagged = await sessions.countDocuments({ Delete: true });
        for (let i = 0; i < 100 && flagged > 0; i++, await sleep(50)) flagged = await sessions.countDocuments({ Delete: true });
        expect(flagged).to.equal(0);
        expect(running.output()).to.match(/Cleanup removed 1 session/);
        expect(await sessions.countDocuments({})).to.equal(1);
        expect([await visit(ann, `${base}/`), await visit(bob, `${base}/`)]).to.deep.equal(['Views: 1', 'Views: 2']);
        expect(running.output()).not.to.match(/Error|failed/);
      } finally {
        running.stop();
      }
    });
  }

  for (const driver of CALLBACK_DRIVERS) {
    it(`the README's callback snippet runs as written on ${installed(driver)}`, async () => {
      const dir = callbackApp(driver);
      const { url, db } = databaseUrl();
      const at = port();
      const code = forDriver(snippet('callbacks'), driver)
        .replace('mongodb://localhost:27017/SomeDatabase', url)
        .replace('App.listen(3000)', `App.listen(${at}, function () { console.log('listening'); })`);
      fs.writeFileSync(path.join(dir, 'snippet.js'), code);
      const running = await serve(['snippet.js'], {}, dir);
      try {
        const browser = { cookie: undefined as string | undefined };
        const base = `http://127.0.0.1:${at}/`;
        expect([await visit(browser, base), await visit(browser, base)]).to.deep.equal(['Views: 1', 'Views: 2']);
        expect(await testClient().db(db.databaseName).collection('Sessions').countDocuments({})).to.equal(1);
      } finally {
        running.stop();
      }
    });
  }
});
