import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { FaultServer } from '../support/fault-server';
import { COOKIE } from '../support/http';
import { progressLines } from '../support/progress';
import { skipBecause } from '../support/server';
import { sleep } from '../support/store';

const ROOT = path.resolve(__dirname, '../..');
const REQUESTS = 2_000;
const CLIENTS = 50;
/** Each client's pause between requests, so that the run spans the outage. */
const THINK_MS = 150;

interface Figures {
  requests: number;
  ok: number;
  errors: number;
  crashes: number;
  unhandledRejections: number;
  acknowledgedSessions: number;
  acknowledgedSessionsLost: number;
  sessionsReset: number;
  disconnects: number;
  connects: number;
  seconds: number;
}

function startApp(uri: string): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'load-app.ts')], {
    cwd: ROOT,
    env: { ...process.env, MONGODB_URI: `${uri}load` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const match = /listening (\d+)/.exec(output);
      if (match) {
        clearInterval(poll);
        resolve({ child, port: Number(match[1]), output: () => output });
      } else if (child.exitCode !== null) {
        clearInterval(poll);
        reject(new Error(`the app exited: ${output}`));
      }
    }, 20);
  });
}

describe('load with the server killed and restarted midway', function () {
  this.timeout(120_000);

  it(`${REQUESTS} requests from ${CLIENTS} clients: no crash, no unhandled rejection, no acknowledged session lost`, async function () {
    if (!FaultServer.available()) skipBecause(this, 'MONGODB_URI is set: the server is not ours to kill');
    const server = new FaultServer();
    let step = (): string => 'starting a FerretDB of its own, then the app (compiled by ts-node)';
    const progress = progressLines(`${REQUESTS} requests from ${CLIENTS} clients`, () => step());
    let app: Awaited<ReturnType<typeof startApp>>;
    try {
      await server.start();
      app = await startApp(server.uri);
    } catch (err) {
      progress.done();
      throw err;
    }
    let crashes = 0;
    let stopping = false;
    app.child.once('exit', () => {
      if (!stopping) crashes++;
    });

    const started = Date.now();
    const acknowledged = new Map<string, number>();
    const cookies: Array<string | undefined> = new Array(CLIENTS).fill(undefined);
    const sessionOf: Array<string | undefined> = new Array(CLIENTS).fill(undefined);
    let issued = 0;
    let ok = 0;
    let errors = 0;
    let sessionsReset = 0;

    let serverState = 'up';
    const outage = (async () => {
      while (issued < REQUESTS / 3) await sleep(5);
      await server.kill();
      serverState = 'killed';
      await sleep(1_500);
      await server.start();
      serverState = 'restarted';
    })();

    async function client(index: number): Promise<void> {
      while (issued < REQUESTS) {
        issued++;
        await sleep(THINK_MS);
        try {
          const response = await fetch(`http://127.0.0.1:${app.port}/count`, {
            headers: cookies[index] ? { cookie: cookies[index]! } : {},
            signal: AbortSignal.timeout(10_000),
          });
          const setCookie = response.headers
            .getSetCookie()
            .find((line) => line.startsWith(`${COOKIE}=`) || line.startsWith('connect.sid='));
          if (setCookie) cookies[index] = setCookie.split(';')[0];
          const body = (await response.json()) as { id?: string; n?: number };
          if (response.status !== 200 || !body.id || body.n === undefined) {
            errors++;
            continue;
          }
          ok++;
          if (sessionOf[index] !== undefined && sessionOf[index] !== body.id) sessionsReset++;
          sessionOf[index] = body.id;
          acknowledged.set(body.id, Math.max(acknowledged.get(body.id) ?? 0, body.n));
        } catch {
          errors++;
        }
      }
    }
    step = () => `${ok + errors} answered (${ok} ok, ${errors} errors), server ${serverState}`;
    try {
      await Promise.all([...Array.from({ length: CLIENTS }, (_, i) => client(i)), outage]);
    } finally {
      progress.done();
    }

    stopping = true;
    app.child.kill('SIGTERM');
    await new Promise((resolve) => app.child.once('exit', resolve));
    const reported = JSON.parse(/figures (.*)/.exec(app.output())?.[1] ?? '{}') as Partial<Figures>;

    const check = new MongoClient(`${server.uri}`);
    let lost = 0;
    try {
      const sessions = check.db('load').collection('Sessions');
      for (const [sid, n] of acknowledged) {
        const doc = await sessions.findOne({ _id: sid as never });
        if (!doc || (doc.Data as { n: number }).n < n) lost++;
      }
    } finally {
      await check.close();
      await server.dispose();
    }

    const figures: Figures = {
      requests: issued,
      ok,
      errors,
      crashes,
      unhandledRejections: reported.unhandledRejections ?? -1,
      acknowledgedSessions: acknowledged.size,
      acknowledgedSessionsLost: lost,
      sessionsReset,
      disconnects: reported.disconnects ?? -1,
      connects: reported.connects ?? -1,
      seconds: (Date.now() - started) / 1000,
    };
    console.log(`      load figures: ${JSON.stringify(figures)}`);
    // Each message names its figure: a failure says which one, and the line above gives them all.
    expect(figures.crashes, 'crashes (app exits)').to.equal(0);
    expect(figures.unhandledRejections, 'unhandledRejections').to.equal(0);
    expect(figures.acknowledgedSessionsLost, 'acknowledgedSessionsLost').to.equal(0);
    expect(figures.sessionsReset, 'sessionsReset').to.equal(0);
    expect(figures.ok + figures.errors, 'ok + errors (every request answered or failed)').to.equal(REQUESTS);
    expect(figures.ok, `ok (answered requests, more than half of ${REQUESTS})`).to.be.greaterThan(REQUESTS / 2);
    expect(figures.disconnects, 'disconnects (events the app saw)').to.be.at.least(1);
    expect(figures.connects, 'connects (events the app saw)').to.be.at.least(1);
  });
});
