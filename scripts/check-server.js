'use strict';
// Runs before `npm test` (after bootstrap.js): with MONGODB_URI set, asks that server for a
// ping within a few seconds. An unreachable server then ends the run here, in one line naming
// it and the cause, rather than after the build, the type check and the lint, with a driver
// stack trace and coverage noise. Without MONGODB_URI there is nothing to check: the tests
// start their own FerretDB.

const uri = process.env.MONGODB_URI;
const TIMEOUT_MS = 5_000;

/** The URI without its user and password, which must never reach a log. */
function shown(text) {
  return text.replace(/\/\/[^@/]*@/, '//');
}

async function ping() {
  const { MongoClient } = require('mongodb');
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: TIMEOUT_MS, connectTimeoutMS: TIMEOUT_MS });
  try {
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close().catch(() => {});
  }
}

/** The one line that ends the run: what is wrong with MONGODB_URI, and the ways out. */
function problem(err) {
  const cause = shown(String(err.message).split('\n')[0]);
  if (err.name === 'MongoServerSelectionError') {
    return (
      `no server answered at MONGODB_URI=${shown(uri)} within ${TIMEOUT_MS / 1000} s (${cause}); ` +
      'start that server, correct MONGODB_URI, or unset it to test against the bundled FerretDB'
    );
  }
  return `MONGODB_URI=${shown(uri)} cannot be used (${cause}); correct it, or unset it to test against the bundled FerretDB`;
}

if (uri) {
  ping().catch((err) => {
    process.stderr.write(`npm test: ${problem(err)}\n`);
    process.exit(1);
  });
}
