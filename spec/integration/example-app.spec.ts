import { expect } from 'chai';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { freshDb, serverUri } from '../support/server';
import { sleep } from '../support/store';

// examples/app.js, as `npm start` runs it, against the test server (MONGODB_URI).
const ROOT = path.resolve(__dirname, '../..');

function runApp(port: number, dbName: string): { output: () => string; exited: Promise<number | null>; stop(): Promise<number | null> } {
  const url = new URL(serverUri());
  url.pathname = `/${dbName}`;
  const child = spawn(process.execPath, ['examples/app.js'], {
    cwd: ROOT,
    env: { ...process.env, MONGODB_URI: url.toString(), PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    output: () => output,
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(50);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('the example app (npm start)', function () {
  this.timeout(30_000);

  it('keeps sessions across a restart and never shows the session ID', async () => {
    const db = freshDb();
    const port = await freePort();
    let cookie = '';
    const visit = async (): Promise<string> => {
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers: cookie ? { cookie } : {} });
      const set = response.headers.getSetCookie()[0];
      if (set) cookie = set.split(';')[0]!;
      return response.text();
    };
    const counts: string[] = [];
    for (const visits of [2, 1]) {
      const app = runApp(port, db.databaseName);
      await until(() => app.output().includes('listening'));
      expect(app.output()).to.include(`listening on http://127.0.0.1:${port}/`);
      for (let i = 0; i < visits; i++) {
        const page = await visit();
        const sid = decodeURIComponent(cookie.split('=')[1]!).replace(/^s:/, '').split('.')[0]!;
        expect(page, 'the page shows the session ID').not.to.include(sid);
        counts.push(/seen this page (\d+) time/.exec(page)?.[1] ?? page);
      }
      expect(await app.stop()).to.equal(0);
    }
    expect(counts).to.deep.equal(['1', '2', '3']);
  });

  it('says in one line when its port is taken, and exits 1', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const app = runApp(port, freshDb().databaseName);
      expect(await app.exited).to.equal(1);
      expect(app.output().trim()).to.equal(
        `example app: cannot listen: port ${port} is taken; run with PORT=another, e.g. PORT=3001 npm start`,
      );
    } finally {
      taken.close();
    }
  });
});
