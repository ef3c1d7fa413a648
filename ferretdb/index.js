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
// What the first build costs, measured on a 2-core machine (docs/testing.md, "The bundled server").
const FIRST_BUILD = 'first run only: 1 to 3 minutes, about 125 MB downloaded, 1 GB of Go caches';

/** Ends the process with one line naming the problem and both ways out; no stack trace. */
function fail(problem) {
  const need = `Go ${requiredGo().join('.')} or later`;
  process.stderr.write(
    `express-session-mongodb: ${problem}. Install ${need} (https://go.dev/dl/) to build the test server, ` +
      'or set MONGODB_URI to a MongoDB server of yours (MONGODB_URI=mongodb://localhost:27017/ npm test).\n',
  );
  process.exit(1);
}

/** The Go version go.mod asks for, as [major, minor]: FerretDB v1.24's own minimum. */
function requiredGo() {
  const match = /^go (\d+)\.(\d+)/m.exec(fs.readFileSync(path.join(HERE, 'go.mod'), 'utf8'));
  return [Number(match[1]), Number(match[2])];
}

/** Fails (see `fail`) unless a Go new enough is on PATH; never lets Go fetch another toolchain. */
function checkGo() {
  let output;
  try {
    output = execFileSync('go', ['version'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
  } catch (err) {
    fail(err.code === 'ENOENT' ? 'Go is not installed (no `go` on PATH)' : `\`go version\` failed: ${err.message.split('\n')[0]}`);
  }
  const match = /go(\d+)\.(\d+)/.exec(output);
  if (!match) return; // a development build: let go build decide
  const [major, minor] = requiredGo();
  const found = [Number(match[1]), Number(match[2])];
  if (found[0] < major || (found[0] === major && found[1] < minor)) fail(`Go ${found.join('.')} is too old`);
}

/**
 * Builds the launcher when it is missing or older than its source, printing progress (Go
 * itself is silent for minutes). A missing or old Go, or a failed build, ends the process
 * with one clear line.
 */
async function build() {
  const sources = ['main.go', 'go.mod', 'go.sum'].map((f) => fs.statSync(path.join(HERE, f)).mtimeMs);
  if (fs.existsSync(BINARY) && fs.statSync(BINARY).mtimeMs >= Math.max(...sources)) return BINARY;
  checkGo();
  process.stderr.write(`building the FerretDB test server (${FIRST_BUILD})...\n`);
  const code = await goBuild();
  if (code !== 0) fail(`the FerretDB launcher did not build (go build exited with ${code}; its messages are above)`);
  return BINARY;
}

/** `go build -v`: counts the packages it names, forwards everything else, reports every 10 s. */
function goBuild() {
  const started = Date.now();
  const child = spawn('go', ['build', '-v', '-o', BINARY, '.'], {
    cwd: HERE,
    env: { ...process.env, GOTOOLCHAIN: 'local' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let compiled = 0;
  let pending = '';
  child.stderr.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (/^[\w.~/-]+$/.test(line)) compiled++;
      else if (line) process.stderr.write(`${line}\n`);
    }
  });
  const progress = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    const what = compiled === 0 ? 'downloading FerretDB and its modules' : `${compiled} of about 540 packages compiled`;
    process.stderr.write(`  ${what}, ${seconds} s\n`);
  }, 10_000);
  return new Promise((resolve) => {
    child.once('error', (err) => resolve(err.code ?? 1));
    child.once('close', (code) => {
      clearInterval(progress);
      if (pending) process.stderr.write(`${pending}\n`);
      resolve(code);
    });
  });
}

/**
 * Binds `port` on 127.0.0.1 and lets it go again: resolves with the port (0: a free one the
 * system picks), rejects with EADDRINUSE when another process listens there.
 */
function probePort(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const bound = server.address().port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * `port` if no other process listens there: without this check, start() would connect to
 * that process and take it for the FerretDB it just launched.
 */
async function ownPort(port) {
  try {
    return await probePort(port);
  } catch (err) {
    if (err.code !== 'EADDRINUSE') throw err;
    throw Object.assign(new Error(`port ${port} on 127.0.0.1 is taken by another process`), { code: 'EADDRINUSE', port });
  }
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
 * (or the same postgresqlURL) restarts it over the same data. A given port that another
 * process listens on rejects with an error whose `code` is EADDRINUSE.
 */
async function start(options = {}) {
  const binary = await build();
  const port = await ownPort(options.port || 0);
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

/** The FerretDB version go.mod pins, e.g. "v1.24.2": the launcher embeds it, and reports "unknown" itself. */
function version() {
  return /github\.com\/FerretDB\/FerretDB\s+(v\S+)/.exec(fs.readFileSync(path.join(HERE, 'go.mod'), 'utf8'))[1];
}

/**
 * What a server is, from its buildInfo: "FerretDB v1.24.2 (answers as MongoDB 7.0.42)", or
 * "MongoDB 8.0.4". `bundled`: the server is this folder's launcher, whose "unknown" version
 * is go.mod's pin (another FerretDB's "unknown" is left as it says).
 */
function serverName(info, bundled = false) {
  if (typeof info.ferretdbVersion !== 'string') return `MongoDB ${info.version}`;
  const ferret = info.ferretdbVersion === 'unknown' && bundled ? version() : info.ferretdbVersion;
  return `FerretDB ${ferret} (answers as MongoDB ${info.version})`;
}

module.exports = { build, checkGo, serverName, start, version };
