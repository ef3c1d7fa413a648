// The app under load in the fault suite, in a process of its own so that a crash shows.
// Prints `listening <port>`; on SIGTERM prints `figures <json>` and exits.
import express from 'express';
import session from 'express-session';
import { MongoClient } from 'mongodb';
import type { AddressInfo } from 'node:net';
import createStore = require('../../lib');

declare module 'express-session' {
  interface SessionData {
    n?: number;
  }
}

let unhandledRejections = 0;
process.on('unhandledRejection', (reason) => {
  unhandledRejections++;
  console.error('unhandled rejection:', reason);
});

// maxPoolSize as docs/ferretdb.md advises for FerretDB v1.
const client = new MongoClient(process.env.MONGODB_URI!, { heartbeatFrequencyMS: 500, maxPoolSize: 50 });
createStore(
  client,
  (err, store) => {
    if (err) throw err;
    let disconnects = 0;
    let connects = 0;
    store!.on('disconnect', () => disconnects++);
    store!.on('connect', () => connects++);
    const app = express();
    app.use(session({ store: store!, secret: 'load', resave: false, saveUninitialized: false }));
    // Saves before answering: express-session's own save-at-end answers 200 even when the
    // save fails, so only this makes a 200 mean "acknowledged by the store".
    app.get('/count', (req, res, next) => {
      if (!req.session) {
        res.status(503).json({ error: 'no session store' });
        return;
      }
      req.session.n = (req.session.n ?? 0) + 1;
      req.session.save((error) => (error ? next(error) : res.json({ id: req.sessionID, n: req.session.n })));
    });
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      if (res.headersSent) res.destroy(error);
      else res.status(500).json({ error: error.message });
    });
    const server = app.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
    process.once('SIGTERM', () => {
      console.log(`figures ${JSON.stringify({ unhandledRejections, disconnects, connects })}`);
      server.closeAllConnections();
      server.close();
      void store!
        .close()
        .then(() => client.close())
        .then(() => process.exit(0));
    });
  },
  { TimeToLive: 3600, OperationTimeoutMS: 2_000 },
);
