'use strict';
// The 1.x usage pattern, unchanged: connect, build the store, hand it to express-session.
// Run with `npm start`; sessions live in MONGODB_URI, or in a throwaway FerretDB server.

const { MongoClient } = require('mongodb');
const express = require('express');
const session = require('express-session');
const Store = require('express-session-mongodb');

async function main() {
  let server;
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    server = await require('../ferretdb').start();
    uri = `${server.uri}example`;
    console.log(`no MONGODB_URI: sessions go to a throwaway FerretDB server at ${server.uri}`);
  }
  // 50: FerretDB v1 on SQLite can wedge with 100 updates in flight (README, "On FerretDB v1").
  const client = new MongoClient(uri, server ? { maxPoolSize: 50 } : {});

  const app = express();
  Store(
    client,
    (err, sessionStore) => {
      if (err) throw err;
      app.use(session({ secret: 'change me', store: sessionStore, resave: false, saveUninitialized: false }));

      app.get('/', (req, res) => {
        req.session.views = (req.session.views || 0) + 1;
        res
          .type('html')
          .send(
            `<p>Session <code>${req.sessionID}</code> has seen this page ${req.session.views} time(s).</p>` +
              '<p><a href="/">again</a> · <a href="/logout">log out</a></p>',
          );
      });
      app.get('/logout', (req, res, next) => {
        req.session.destroy((error) => (error ? next(error) : res.redirect('/')));
      });

      const port = Number(process.env.PORT) || 3000;
      const http = app.listen(port, '127.0.0.1', () => console.log(`example app listening on http://127.0.0.1:${port}/`));

      const stop = () => {
        http.close();
        sessionStore.close(() =>
          client
            .close()
            .then(() => server && server.stop())
            .then(() => process.exit(0)),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    { TimeToLive: 3600, DeleteFlags: true, Filter: true },
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
