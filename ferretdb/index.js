'use strict';
// Builds (once) and starts FerretDB on SQLite (or on a given PostgreSQL), a MongoDB-compatible
// server for the tests, the benchmarks and the example app when MONGODB_URI is not set. Plain
// JavaScript so all of them can load it.

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const BINARY = path.join(HERE, 'bin', 'ferretdb-launcher');

/** Builds the launcher when it is missing or older than its source. */
function build() {
  const sources = ['main.go', 'go.mod', 'go.sum'].map((f) => fs.statSync(path.join(HERE, f)).mtimeMs);
  if (fs.existsSync(BINARY) && fs.statSync(BINARY).mtimeMs >= Math.max(...sources)) return BINARY;
  process.stderr.write('building the FerretDB launcher (first run only)...\n');
  execFileSync('go', ['build', '-o', BINARY, '.'], { cwd: HERE, stdio: ['ignore', 'inherit', 'inherit'] });
  return BINARY;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts a server. Options: `port` (default: a free one), `dir` (SQLite files; default:
 * a new temporary folder, removed by `stop`), `postgresqlURL` (postgres://user@host:port/db:
 * store the data in that PostgreSQL database instead of SQLite; `dir` is then ignored, no
 * folder is made or removed, and `dir` in the result is undefined). Resolves with
 * `{ uri, port, dir, process, stop() }`; `start` again with the same port and a given dir
 * (or the same postgresqlURL) restarts it over the same data.
 */
async function start(options = {}) {
  const binary = build();
  const port = options.port || (await freePort());
  const postgresqlURL = options.postgresqlURL;
  const ownDir = !postgresqlURL && !options.dir;
  const dir = postgresqlURL ? undefined : options.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'esm-ferretdb-'));
  const storage = postgresqlURL ? ['-postgresql-url', postgresqlURL] : ['-dir', dir];
  const child = spawn(binary, ['-listen', `127.0.0.1:${port}`, ...storage], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk) => {
    log = (log + chunk).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Never outlive the process that started it.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  exited.then(() => process.off('exit', reap));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited with code ${child.exitCode}:\n${log}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`FerretDB did not listen on port ${port} within 30 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    port,
    dir,
    process: child,
    /** Stops the server (SIGTERM, SIGKILL 10 s later if still up; or SIGKILL for a crash); a data folder made by `start` is removed. */
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // A server wedged mid-request may ignore SIGTERM; a test run must still end.
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { build, start };
