'use strict';
// `npm run server`: the FerretDB server the tests use, for your own app, on a fixed port so
// that its MONGODB_URI stays the same from run to run. Port 27017 (MongoDB's own) unless
// given: `npm run server -- 27018` or `PORT=27018 npm run server`. Data in .data/server
// (git-ignored; not .data/ferretdb, where `npm start` runs a FerretDB of its own, since two
// servers must not share one folder), kept across restarts, or in the folder given second
// (`npm run server -- 27018 /tmp/sessions`). Ctrl-C stops it.

const path = require('node:path');
const ferretdb = require('../ferretdb');

const DEFAULT_PORT = 27017;
const DATA = process.argv[3] ? path.resolve(process.argv[3]) : path.join(__dirname, '..', '.data', 'server');

function fail(message) {
  process.stderr.write(`npm run server: ${message}\n`);
  process.exit(1);
}

/** The port asked for: the first argument (an empty one counts as none), else PORT, else 27017. */
function chosenPort() {
  const given = process.argv[2] || process.env.PORT;
  if (given === undefined || given === '') return DEFAULT_PORT;
  const port = Number(given);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${JSON.stringify(given)} is not a port (1 to 65535)`);
  return port;
}

async function main() {
  const port = chosenPort();
  let server;
  try {
    server = await ferretdb.start({ port, dir: DATA });
  } catch (err) {
    if (err.code !== 'EADDRINUSE') fail(err.message);
    const other = port === 65535 ? port - 1 : port + 1;
    fail(
      `port ${port} is taken (a MongoDB server already running there?); ` +
        `choose another: npm run server -- ${other}, or PORT=${other} npm run server`,
    );
  }
  const relative = path.relative(process.cwd(), DATA);
  const data = relative.startsWith('..') || path.isAbsolute(relative) ? DATA : relative;
  console.log(`FerretDB ${ferretdb.version()} listening on 127.0.0.1:${port}, data in ${data} (rm -rf ${data} wipes it); Ctrl-C stops it`);
  console.log(`MONGODB_URI=${server.uri}`);

  let stopping = false;
  const stopped = () => {
    console.log('FerretDB stopped');
    process.exit(0);
  };
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.stop().then(stopped);
  };
  // Ctrl-C reaches the launcher too (one process group), which then exits 0 by itself,
  // perhaps before this process's own SIGINT handler has run.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.process.once('exit', (code, signal) => {
    if (code === 0) stopped();
    else if (!stopping) fail(`FerretDB exited on its own (${signal ?? `code ${code}`})`);
  });
}

main().catch((err) => fail(err.message));
