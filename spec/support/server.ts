import { MongoClient, type Db, type Document } from 'mongodb';

/* Root hooks: one real server for the whole run. With MONGODB_URI set, that server;
 * otherwise FerretDB on SQLite, started here. */

// .mocharc.json loads this file before the specs, whose loading (ts-node) takes a while (14 s on a
// busy 2-core machine) before the hooks print anything: say so.
console.log(`\n  loading the specs, then ${process.env.MONGODB_URI ? 'connecting to MONGODB_URI' : 'starting FerretDB'}...`);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ferretdb = require('../../ferretdb') as {
  start(options?: { port?: number; dir?: string }): Promise<RunningServer>;
  serverName(info: Document, bundled?: boolean): string;
};

export interface RunningServer {
  uri: string;
  port: number;
  dir: string;
  process: import('node:child_process').ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

let server: RunningServer | undefined;
let client: MongoClient | undefined;
let ferret = false;
let banner = '';
const databases: Db[] = [];
const unhandled: unknown[] = [];

export function serverUri(): string {
  if (process.env.MONGODB_URI) return process.env.MONGODB_URI;
  if (!server) throw new Error('the test server is not running');
  return server.uri;
}

/** The run's shared client. Tests that need to break a client make their own. */
export function testClient(): MongoClient {
  if (!client) throw new Error('the test client is not connected');
  return client;
}

/** True on FerretDB, whose gaps some tests must work around or skip. */
export function isFerretDB(): boolean {
  return ferret;
}

/** The line the run prints first: which server, as the README names it, and where. */
export function serverBanner(): string {
  return banner;
}

/** Skips the running test, saying why in its title (mocha prints only titles). */
export function skipBecause(context: Mocha.Context, reason: string): never {
  if (context.test) context.test.title += ` [skipped: ${reason}]`;
  context.skip();
}

let counter = 0;
/** A database of its own for one test, dropped at the end of the run. */
export function freshDb(): Db {
  const db = testClient().db(`esm_test_${process.pid}_${Date.now().toString(36)}_${counter++}`);
  databases.push(db);
  return db;
}

function onUnhandled(reason: unknown): void {
  unhandled.push(reason);
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(300_000);
    process.on('unhandledRejection', onUnhandled);
    if (!process.env.MONGODB_URI) server = await ferretdb.start();
    // 50 connections at most: FerretDB v1 on SQLite can wedge a database for good with 100
    // updates in flight on it (see docs/ferretdb.md, "On FerretDB v1"); 100 is the driver's default.
    client = new MongoClient(serverUri(), { serverSelectionTimeoutMS: 10_000, maxPoolSize: 50 });
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    ferret = typeof info.ferretdbVersion === 'string';
    banner = `server: ${ferretdb.serverName(info, server !== undefined)} at ${serverUri().replace(/\/\/[^@]*@/, '//')}`;
    console.log(`  ${banner}`);
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    // Bounded, so a database the server stopped answering for cannot keep the run from ending.
    await Promise.race([
      Promise.all(databases.map((db) => db.dropDatabase().catch(() => {}))),
      new Promise((resolve) => setTimeout(resolve, 20_000).unref()),
    ]);
    await client?.close(true);
    await server?.stop();
    process.off('unhandledRejection', onUnhandled);
    if (unhandled.length > 0) {
      throw new Error(`unhandled promise rejections during the run:\n${unhandled.map(String).join('\n')}`);
    }
  },
};
