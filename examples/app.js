'use strict';
// The 1.x usage pattern, unchanged: connect, build the store, hand it to express-session.
// Run with `npm start`. Sessions live in MONGODB_URI or, without it, in a FerretDB server
// whose data stays in .data/ferretdb (git-ignored), so they survive a restart of the app;
// `rm -rf .data` wipes them. PORT chooses the port (default 3000).

const path = require('node:path');
const { MongoClient } = require('mongodb');
const express = require('express');
const session = require('express-session');
const Store = require('express-session-mongodb');

const DATA = path.join(__dirname, '..', '.data', 'ferretdb');

async function main() {
  let server;
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    server = await require('../ferretdb').start({ dir: DATA });
    uri = `${server.uri}example`;
    console.log(
      `no MONGODB_URI: sessions go to a FerretDB server at ${server.uri}, data in ${path.relative(process.cwd(), DATA)} (rm -rf .data wipes it)`,
    );
  }
  // The driver gives up on a write before the store's 10 s OperationTimeoutMS does, so that a
  // write whose caller was told it timed out is never sent late (docs/outages-and-timeouts.md, "What a timeout leaves possible").
  // 50: FerretDB v1 on SQLite can wedge with 100 updates in flight (docs/ferretdb.md, "On FerretDB v1").
  const client = new MongoClient(uri, {
    waitQueueTimeoutMS: 5_000,
    serverSelectionTimeoutMS: 5_000,
    ...(server ? { maxPoolSize: 50 } : {}),
  });
  const stop = (code) =>
    client
      .close()
      .then(() => server && server.stop())
      .finally(() => process.exit(code));

  Store(
    client,
    (err, sessionStore) => {
      if (err) {
        console.error(`example app: no session store: ${err.message}`);
        return stop(1);
      }
      const app = express();
      app.use(session({ secret: 'change me', store: sessionStore, resave: false, saveUninitialized: false }));

      // Never show the session ID: it is the key to the session, as good as a password.
      app.get('/', (req, res) => {
        req.session.views = (req.session.views || 0) + 1;
        res
          .type('html')
          .send(
            `<p>This session has seen this page ${req.session.views} time(s).</p>` +
              '<p><a href="/">again</a> · <a href="/logout">log out</a></p>',
          );
      });
      app.get('/logout', (req, res, next) => {
        req.session.destroy((error) => (error ? next(error) : res.redirect('/')));
      });

      const port = Number(process.env.PORT) || 3000;
      const http = app.listen(port, '127.0.0.1');
      http.once('listening', () => console.log(`example app listening on http://127.0.0.1:${port}/`));
      http.once('error', (error) => {
        const why = error.code === 'EADDRINUSE' ? `port ${port} is taken; run with PORT=another, e.g. PORT=3001 npm start` : error.message;
        console.error(`example app: cannot listen: ${why}`);
        sessionStore.close(() => stop(1));
      });

      const shutdown = () => {
        http.close();
        sessionStore.close(() => stop(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    },
    { TimeToLive: 3600, DeleteFlags: true, Filter: true },
  );
}

main().catch((err) => {
  console.error(`example app: ${err.message}`);
  process.exit(1);
});
