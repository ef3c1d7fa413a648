import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import createStore from '../../lib';
import { watchConnection } from '../../lib/calls/connection-events';
import { StoreTimeoutError, withTimeout } from '../../lib/calls/timeout';
import { driverMajor } from '../support/matrix';
import { skipBecause } from '../support/server';

const ROOT = path.resolve(__dirname, '../..');

/** A port nothing listens on: connecting to it is refused at once. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('StoreTimeoutError', () => {
  it('names what was waited for and the server (never the credentials), with the driver error as cause', async () => {
    const port = await closedPort();
    const client = new MongoClient(`mongodb://someone:s3cret@127.0.0.1:${port}/app`, { serverSelectionTimeoutMS: 5_000 });
    const unwatch = watchConnection(client, new EventEmitter());
    const connecting = client.connect();
    connecting.catch(() => {});
    try {
      const err = await withTimeout(connecting, 1_000, 'createStore', client).then(
        () => expect.fail('connected to a closed port'),
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(StoreTimeoutError);
      const timeout = err as StoreTimeoutError;
      expect(timeout.message).to.match(
        new RegExp(`^createStore did not finish within 1000 ms waiting on 127\\.0\\.0\\.1:${port} \\(last error: .*ECONNREFUSED`),
      );
      expect(timeout.message).not.to.include('s3cret');
      expect(timeout.message).not.to.include('someone');
      expect(timeout.servers).to.deep.equal([`127.0.0.1:${port}`]);
      expect([timeout.operation, timeout.timeoutMS]).to.deep.equal(['createStore', 1_000]);
      expect(timeout.cause).to.be.instanceOf(Error);
      expect((timeout.cause as Error).message).to.include('ECONNREFUSED');
    } finally {
      unwatch();
      await client.close();
    }
  });

  it('from createStore against an unreachable server: the server and ECONNREFUSED, through the callback', async function () {
    if (driverMajor() === 3) {
      skipBecause(this, "on driver 3.x the application's own connect meets the server first; createStore refuses an unconnected client");
    }
    const port = await closedPort();
    const client = new MongoClient(`mongodb://someone:s3cret@127.0.0.1:${port}/app`, { serverSelectionTimeoutMS: 5_000 });
    try {
      const err = await new Promise<Error | null>((resolve) => createStore(client, (e) => resolve(e), { OperationTimeoutMS: 1_000 }));
      expect(err).to.be.instanceOf(createStore.StoreTimeoutError);
      expect(err!.message).to.include(`waiting on 127.0.0.1:${port}`).and.not.include('s3cret');
      expect((err!.cause as Error).message).to.include('ECONNREFUSED');
    } finally {
      await client.close();
    }
  });

  it('without a client still says what it waited for and how long', async () => {
    const err = await withTimeout(new Promise(() => {}), 50, 'Session store get').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(StoreTimeoutError);
    expect((err as Error).message).to.equal('Session store get did not finish within 50 ms');
    expect((err as Error).cause).to.equal(undefined);
  });

  it('is exported for instanceof tests: createStore.StoreTimeoutError, and a named ESM export', () => {
    expect(createStore.StoreTimeoutError).to.equal(StoreTimeoutError);
    expect(new createStore.StoreTimeoutError('x', 1)).to.be.instanceOf(Error);
    expect(fs.existsSync(path.join(ROOT, 'dist', 'index.mjs')), 'run `npm run build` first').to.equal(true);
    const script = `import createStore, { StoreTimeoutError } from 'express-session-mongodb';
      console.log(StoreTimeoutError === createStore.StoreTimeoutError && new StoreTimeoutError('x', 1) instanceof Error);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(out.trim()).to.equal('true');
  });
});
