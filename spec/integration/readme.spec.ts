import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { README, serve, snippet, visit } from '../support/apps';
import { Browser } from '../support/http';
import { withProgress } from '../support/progress';
import { runCommand } from '../support/run';
import { freshDb, serverUri } from '../support/server';
import { sleep } from '../support/store';

const ROOT = path.resolve(__dirname, '../..');

/** The packages a snippet loads: require('x') and import ... from 'x', less Node's own. */
function packagesLoadedBy(code: string): string[] {
  const names = [...code.matchAll(/require\('([^']+)'\)|from '([^']+)'/g)].map((match) => (match[1] ?? match[2])!);
  return names.filter((name) => !name.startsWith('node:'));
}

describe('README', () => {
  it('the install line names every package the snippets load', () => {
    const install = /^npm install (express-session-mongodb .*)$/m.exec(README)?.[1] ?? '';
    const named = install.split(/\s+/);
    const loaded = [...packagesLoadedBy(snippet('legacy')), ...packagesLoadedBy(snippet('typescript'))];
    expect(loaded).to.include.members(['express', 'express-session', 'mongodb', 'express-session-mongodb']);
    expect(loaded.filter((name) => !named.includes(name))).to.deep.equal([]);
  });

  it('gives exactly two set-up commands for a fresh machine: npm start and npm test', () => {
    const section = /## Set up on a fresh machine([\s\S]*?)\n## /.exec(README)?.[1] ?? '';
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const commands = block
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean);
    expect(commands).to.deep.equal(['npm start', 'npm test']);
  });

  it('the 1.x usage snippet works as written against a real server', async function () {
    this.timeout(30_000);
    const db = freshDb();
    const url = new URL(serverUri());
    url.pathname = `/${db.databaseName}`;
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    // Only the server and the port change; the snippet itself says where it listens.
    const code = snippet('legacy')
      .replace('mongodb://localhost:27017/SomeDatabase', url.toString())
      .replace('App.listen(3000,', `App.listen(${port},`)
      .replace('http://localhost:3000/', `http://localhost:${port}/`);
    const child = spawn(process.execPath, ['-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    try {
      const listening = `listening on http://localhost:${port}/`;
      for (let i = 0; i < 200 && !output.includes(listening) && child.exitCode === null; i++) await sleep(50);
      expect(output).to.include(listening);
      const browser = new Browser(`http://127.0.0.1:${port}`);
      const texts: string[] = [];
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`http://127.0.0.1:${port}/`, { headers: browser.cookie ? { cookie: browser.cookie } : {} });
        const cookie = response.headers.getSetCookie()[0];
        if (cookie) browser.cookie = cookie.split(';')[0];
        texts.push(await response.text());
      }
      expect(texts).to.deep.equal(['Views: 1', 'Views: 2']);
      expect(await db.collection('Sessions').countDocuments({})).to.equal(1);
    } finally {
      child.kill();
    }
  });

  it('the TypeScript snippet compiles under --strict and runs as written against a real server', async function () {
    this.timeout(60_000);
    const scratch = path.join(ROOT, '.tmp', 'readme-spec');
    fs.mkdirSync(scratch, { recursive: true });
    fs.writeFileSync(path.join(scratch, 'app.mts'), snippet('typescript'));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = [
      '--ignoreConfig',
      '--strict',
      '--module',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--types',
      'node',
      '--rootDir',
      scratch,
    ];
    const compile = runCommand([process.execPath, tsc, ...options, '--outDir', scratch, path.join(scratch, 'app.mts')], ROOT);
    await withProgress('tsc --strict over the snippet', compile).catch((err: Error) => {
      throw new Error(`the snippet does not compile: ${err.message}`, { cause: err });
    });
    const db = freshDb();
    const url = new URL(serverUri());
    url.pathname = `/${db.databaseName}`;
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const app = await serve([path.join(scratch, 'app.mjs')], { MONGODB_URI: url.toString(), PORT: String(port), SESSION_SECRET: 'test' });
    try {
      const browser = new Browser(`http://127.0.0.1:${port}`);
      const base = `http://127.0.0.1:${port}/`;
      expect([await visit(browser, base), await visit(browser, base)]).to.deep.equal(['Views: 1', 'Views: 2']);
      await visit(browser, `${base}logout`, 'POST');
      expect(await db.collection('Sessions').countDocuments({ Delete: true })).to.equal(1);
      expect(await visit(browser, base)).to.equal('Views: 1');
    } finally {
      app.stop();
    }
  });
});
