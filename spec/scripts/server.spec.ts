import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { documentation } from '../support/docs';
import { skipBecause } from '../support/server';
import { sleep } from '../support/store';

/* `npm run server` (scripts/server.js): the bundled FerretDB for your own app, on a fixed port. */

const ROOT = path.resolve(__dirname, '../..');
const NPM = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];

interface Running {
  output(): string;
  /** Once npm and all its output are done: its exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals>;
  /** Ctrl-C in a terminal: SIGINT to the whole process group (npm, node, the launcher). */
  ctrlC(): Promise<number | NodeJS.Signals>;
}

/** Runs `npm run server -- ...args` in a process group of its own, as a terminal would. */
function runServer(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const [command, ...npmArgs] = [...NPM, 'run', '--silent', 'server', '--', ...args];
  const child = spawn(command!, npmArgs, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal!)));
  // A failed assertion must not leave a server behind.
  const reap = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
  void exited.then(() => clearTimeout(reap));
  return {
    output: () => output,
    exited,
    ctrlC: () => {
      process.kill(-child.pid!, 'SIGINT');
      return exited;
    },
  };
}

/** The MONGODB_URI the server printed, once it has (undefined if it exited first). */
async function printedUri(server: Running): Promise<string | undefined> {
  let exited = false;
  void server.exited.then(() => (exited = true));
  for (let i = 0; i < 400 && !exited; i++) {
    const match = /^MONGODB_URI=(\S+)$/m.exec(server.output());
    if (match) return match[1];
    await sleep(50);
  }
  return undefined;
}

function probe(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.createServer().once('error', reject);
    socket.listen(port, '127.0.0.1', () => {
      const bound = (socket.address() as net.AddressInfo).port;
      socket.close(() => resolve(bound));
    });
  });
}

describe('npm run server', function () {
  this.timeout(60_000);
  let dir = '';

  /** A data folder of the test's own; skips the test when the run has no bundled FerretDB. */
  function dataDir(context: Mocha.Context): string {
    if (process.env.MONGODB_URI) skipBecause(context, 'MONGODB_URI is set: the bundled FerretDB may not be built');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esm-server-script-'));
    return dir;
  }

  it('is documented, with its port and how to change it', () => {
    expect(documentation()).to.include('`npm run server` starts').and.include('`PORT=27018 npm run server`').and.include('port 27017');
  });

  afterEach(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('serves on the port given, prints the MONGODB_URI that reaches it, stops on Ctrl-C, and keeps the data', async function () {
    const folder = dataDir(this);
    const port = await probe();
    const documents: unknown[] = [];
    for (const round of [1, 2]) {
      const server = runServer([String(port), folder]);
      const uri = await printedUri(server);
      expect(uri, server.output()).to.equal(`mongodb://127.0.0.1:${port}/`);
      expect(server.output()).to.match(/^FerretDB v\d+\.\d+\.\d+ listening on 127\.0\.0\.1:\d+, data in .*; Ctrl-C stops it$/m);
      const client = new MongoClient(uri!, { serverSelectionTimeoutMS: 5_000 });
      try {
        const collection = client.db('app').collection<{ _id: number }>('things');
        await collection.insertOne({ _id: round });
        documents.push(await collection.find().sort({ _id: 1 }).toArray());
      } finally {
        await client.close();
      }
      // npm itself dies of the SIGINT, as with any script; the server's own exit shows in its last line.
      expect(await server.ctrlC()).to.be.oneOf([0, 'SIGINT']);
      expect(server.output()).to.match(/\nFerretDB stopped\n$/);
      expect(await probe(port), 'the port is free again: no server left behind').to.equal(port);
    }
    expect(documents).to.deep.equal([[{ _id: 1 }], [{ _id: 1 }, { _id: 2 }]]);
  });

  it('takes PORT, and listens on 27017 when given none (or says 27017 is taken)', async function () {
    const folder = dataDir(this);
    const port = await probe();
    // An empty first argument counts as none; the second keeps the data out of .data/server.
    const withPort = runServer(['', folder], { PORT: String(port) });
    expect(await printedUri(withPort), withPort.output()).to.equal(`mongodb://127.0.0.1:${port}/`);
    expect(await withPort.ctrlC()).to.be.oneOf([0, 'SIGINT']);

    // 27017 may be taken on this machine (a MongoDB, another run of this test): both answers name it.
    const byDefault = runServer(['', folder], { PORT: '' });
    const uri = await printedUri(byDefault);
    if (uri) expect(await byDefault.ctrlC()).to.be.oneOf([0, 'SIGINT']);
    else expect(await byDefault.exited).to.equal(1);
    expect(uri ?? byDefault.output()).to.match(/mongodb:\/\/127\.0\.0\.1:27017\/|port 27017 is taken/);
  });

  it('a taken port: one line naming it and how to choose another, exit 1', async function () {
    const folder = dataDir(this);
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const server = runServer([String(port), folder]);
      expect(await server.exited).to.equal(1);
      expect(server.output()).to.equal(
        `npm run server: port ${port} is taken (a MongoDB server already running there?); ` +
          `choose another: npm run server -- ${port + 1}, or PORT=${port + 1} npm run server\n`,
      );
    } finally {
      taken.close();
    }
  });

  it('a port that is not one: one line saying so, exit 1', async function () {
    const folder = dataDir(this);
    const server = runServer(['abc', folder]);
    expect(await server.exited).to.equal(1);
    expect(server.output()).to.equal('npm run server: "abc" is not a port (1 to 65535)\n');
  });
});
