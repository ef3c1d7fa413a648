import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Browser } from '../support/http';
import { freshDb, serverUri } from '../support/server';
import { sleep } from '../support/store';

const ROOT = path.resolve(__dirname, '../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function snippet(name: string): string {
  const match = new RegExp(`<!-- snippet: ${name} -->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(README);
  if (!match) throw new Error(`README has no snippet ${name}`);
  return match[1]!;
}

describe('README', () => {
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
    const code = snippet('legacy')
      .replace('mongodb://localhost:27017/SomeDatabase', url.toString())
      .replace('App.listen(3000)', `App.listen(${port}, () => console.log('listening'))`);
    const child = spawn(process.execPath, ['-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    try {
      for (let i = 0; i < 200 && !output.includes('listening'); i++) await sleep(50);
      expect(output).to.include('listening');
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
});
