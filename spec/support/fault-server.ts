import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningServer } from './server';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ferretdb = require('../../ferretdb') as {
  start(options?: { port?: number; dir?: string }): Promise<RunningServer>;
};

/**
 * A FerretDB server of a test's own, to kill and restart over the same data on the same
 * port. Only when the run starts its own servers: a MONGODB_URI server is not ours to kill.
 */
export class FaultServer {
  private running: RunningServer | undefined;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esm-fault-'));
  port = 0;

  static available(): boolean {
    return !process.env.MONGODB_URI;
  }

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  async start(): Promise<void> {
    this.running = await ferretdb.start({ dir: this.dir, port: this.port || undefined });
    this.port = this.running.port;
  }

  /** SIGKILL: a crash, not a shutdown. */
  async kill(): Promise<void> {
    await this.running?.stop('SIGKILL');
    this.running = undefined;
  }

  /** SIGSTOP: the server keeps its connections open and answers nothing, as a wedged one does. */
  freeze(): void {
    this.running?.process.kill('SIGSTOP');
  }

  thaw(): void {
    this.running?.process.kill('SIGCONT');
  }

  async dispose(): Promise<void> {
    this.thaw();
    await this.running?.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
