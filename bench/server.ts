import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandStartedEvent, MongoClient } from 'mongodb';

/* The server the benchmarks talk to, what it is, and counting what is sent to it. */

interface RunningServer {
  uri: string;
  stop(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ferretdb = require('../ferretdb') as { start(): Promise<RunningServer> };

export interface BenchServer {
  uri: string;
  /** True when this process started FerretDB itself (MONGODB_URI unset). */
  ours: boolean;
  stop(): Promise<void>;
}

/** MONGODB_URI when set, otherwise a FerretDB v1 on SQLite of our own in a temporary folder. */
export async function startServer(): Promise<BenchServer> {
  const uri = process.env.MONGODB_URI;
  if (uri) return { uri, ours: false, stop: async () => {} };
  const running = await ferretdb.start();
  return { uri: running.uri, ours: true, stop: () => running.stop() };
}

/** The FerretDB version ferretdb/go.mod pins: the embedded build reports "unknown" itself. */
function pinnedFerretDBVersion(): string | undefined {
  const goMod = fs.readFileSync(path.join(__dirname, '..', 'ferretdb', 'go.mod'), 'utf8');
  return /github\.com\/FerretDB\/FerretDB\s+(v\S+)/.exec(goMod)?.[1];
}

export async function describeServer(client: MongoClient, server: BenchServer): Promise<string> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  const version = String(info.version);
  if (info.ferretdbVersion === undefined) return `MongoDB ${version}`;
  let ferret = String(info.ferretdbVersion);
  if (ferret === 'unknown' && server.ours)
    ferret = `${pinnedFerretDBVersion()} (as pinned in ferretdb/go.mod; the build reports "unknown")`;
  return `FerretDB ${ferret}${server.ours ? ' on SQLite' : ''}, answering as MongoDB ${version}`;
}

export function describeMachine(): string {
  const cpus = os.cpus();
  return `Node ${process.version}, ${os.type()} ${os.release()} ${os.arch()}, CPU ${cpus[0]?.model.trim() ?? 'unknown'} x ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`;
}

const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify']);

/**
 * Counts commands a client starts (its own `monitorCommands: true` client, so the counts
 * are one contender's alone). Writes are what a server must serialise and replicate.
 */
export interface CommandCounts {
  commands: number;
  writes: number;
  byName: Record<string, number>;
}

export class CommandCounter {
  private readonly counts: CommandCounts = { commands: 0, writes: 0, byName: {} };

  constructor(client: MongoClient) {
    client.on('commandStarted', (event: CommandStartedEvent) => {
      this.counts.commands++;
      if (WRITE_COMMANDS.has(event.commandName)) this.counts.writes++;
      this.counts.byName[event.commandName] = (this.counts.byName[event.commandName] ?? 0) + 1;
    });
  }

  snapshot(): CommandCounts {
    return { ...this.counts, byName: { ...this.counts.byName } };
  }
}

/** What was sent between two snapshots. */
export function countsSince(before: CommandCounts, after: CommandCounts): CommandCounts {
  const byName: Record<string, number> = {};
  for (const [name, n] of Object.entries(after.byName)) if (n > (before.byName[name] ?? 0)) byName[name] = n - (before.byName[name] ?? 0);
  return { commands: after.commands - before.commands, writes: after.writes - before.writes, byName };
}
