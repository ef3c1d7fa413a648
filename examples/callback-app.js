'use strict';
// A 2018 app, written against driver 3.x or 4.x with callbacks, express 4.16 and express-session
// 1.15, and left as it was: var, callbacks, MongoClient.connect(url, function (err, client)).
// CI installs the packed package beside driver 3.7, driver 4.17 and mongodb-legacy 6 in fresh
// apps and drives this one over HTTP (spec/package/installs.spec.ts). On mongodb-legacy, the one
// line that differs is the driver's require: require('mongodb-legacy').
//
// Run: MONGODB_URI=mongodb://localhost:27017/app PORT=3000 node callback-app.js
//   GET /          counts the visits of this browser's session
//   GET /sessions  how many sessions are live (store.length)
//   POST /logout   destroys the session: with DeleteFlags, flags it; Cleanup removes it later

var express = require('express');
var session = require('express-session');
var MongoClient = require('mongodb').MongoClient;
var Store = require('express-session-mongodb');

var url = process.env.MONGODB_URI || 'mongodb://localhost:27017/app';
var port = Number(process.env.PORT) || 3000;
var cleanupEvery = Number(process.env.CLEANUP_MS) || 60000;

MongoClient.connect(url, { useNewUrlParser: true }, function (err, client) {
  if (err) throw err;
  Store(
    client.db(),
    function (err, store) {
      if (err) throw err;
      var app = express();
      app.use(session({ secret: 'keyboard cat', store: store, resave: false, saveUninitialized: false }));

      app.get('/', function (req, res) {
        req.session.views = (req.session.views || 0) + 1;
        res.send('Views: ' + req.session.views);
      });

      app.get('/sessions', function (req, res, next) {
        store.length(function (err, count) {
          if (err) return next(err);
          res.send('Sessions: ' + count);
        });
      });

      app.post('/logout', function (req, res, next) {
        req.session.destroy(function (err) {
          if (err) return next(err);
          res.send('Logged out');
        });
      });

      // Flagged sessions (DeleteFlags) leave here: a request still in flight cannot bring one back.
      setInterval(function () {
        store.Cleanup(function (err, removed) {
          if (err) console.error('Cleanup failed: ' + err.message);
          else if (removed > 0) console.log('Cleanup removed ' + removed + ' session(s)');
        });
      }, cleanupEvery).unref();

      app.listen(port, '127.0.0.1', function () {
        console.log('listening on http://127.0.0.1:' + port + '/');
      });
    },
    { DeleteFlags: true, TimeToLive: 3600 },
  );
});
