import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { CommandStartedEvent, MongoClient } from 'mongodb';

/* The server the benchmarks talk to, what it is, and counting what is sent to it. */

interface RunningServer {
  uri: string;
  process: { pid?: number };
  stop(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ferretdb = require('../ferretdb') as {
  start(options?: { postgresqlURL?: string }): Promise<RunningServer>;
  /** The FerretDB version ferretdb/go.mod pins: the embedded build reports "unknown" itself. */
  version(): string;
};

export interface BenchServer {
  uri: string;
  /** True when this process started FerretDB itself (MONGODB_URI unset). */
  ours: boolean;
  /** The PostgreSQL our FerretDB stores its data in (BENCH_POSTGRESQL_URL); unset: SQLite. */
  postgresqlURL?: string;
  /**
   * The CPU time our server process has used so far, in ms (Linux: /proc, 10 ms steps); NaN
   * for a server we did not start, or elsewhere. Unlike elapsed time, it does not grow when
   * other processes take the machine's cores, so it shows the server's work per operation
   * on a busy machine too.
   */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** /proc reports CPU time in USER_HZ ticks, 100 a second on Linux whatever the kernel's own rate. */
const TICK_MS = 10;

/** utime + stime of process `pid`, in ms; NaN where /proc cannot say. */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: fields are counted after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

/**
 * MONGODB_URI when set, otherwise a FerretDB v1 of our own: on the PostgreSQL database
 * BENCH_POSTGRESQL_URL when set (see bench/postgres.sh), else on SQLite in a temporary folder.
 */
export async function startServer(): Promise<BenchServer> {
  const uri = process.env.MONGODB_URI;
  if (uri) return { uri, ours: false, cpuMs: () => NaN, stop: async () => {} };
  const postgresqlURL = process.env.BENCH_POSTGRESQL_URL || undefined;
  const running = await ferretdb.start(postgresqlURL ? { postgresqlURL } : {});
  const pid = running.process.pid;
  return { uri: running.uri, ours: true, postgresqlURL, cpuMs: () => processCpuMs(pid), stop: () => running.stop() };
}

/**
 * Runs one SQL statement with BENCH_PSQL (a psql command line, split on spaces, as
 * bench/postgres.sh sets it) and returns its unaligned, tuples-only output, trimmed.
 */
export function psql(sql: string): string {
  const command = process.env.BENCH_PSQL?.trim().split(/\s+/);
  if (!command?.[0]) throw new Error('BENCH_PSQL is not set (run under bench/postgres.sh)');
  return execFileSync(command[0], [...command.slice(1), '-X', '-v', 'ON_ERROR_STOP=1', '-tAc', sql], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** "PostgreSQL <version>" when BENCH_PSQL can ask it, else "PostgreSQL". */
function describePostgreSQL(): string {
  try {
    return `PostgreSQL ${psql('show server_version')}`;
  } catch {
    return 'PostgreSQL';
  }
}

/**
 * Ends a run: drops `dbName` on a server we did not start (ours goes with its data), closes
 * the client, and stops our server.
 */
export async function finishRun(client: MongoClient, server: BenchServer, dbName: string): Promise<void> {
  if (!server.ours)
    await client
      .db(dbName)
      .dropDatabase()
      .catch(() => {});
  await client.close();
  await server.stop();
}

export async function describeServer(client: MongoClient, server: BenchServer): Promise<string> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  const version = String(info.version);
  if (info.ferretdbVersion === undefined) return `MongoDB ${version}`;
  let ferret = String(info.ferretdbVersion);
  if (ferret === 'unknown' && server.ours) ferret = `${ferretdb.version()} (as pinned in ferretdb/go.mod; the build reports "unknown")`;
  const storage = !server.ours ? '' : server.postgresqlURL ? ` on ${describePostgreSQL()}` : ' on SQLite';
  return `FerretDB ${ferret}${storage}, answering as MongoDB ${version}`;
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
