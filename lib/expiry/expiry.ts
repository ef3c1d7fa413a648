import createDebug from 'debug';
import type { Collection, Db, Filter } from 'mongodb';
import { cookieExpiry } from '../stored/cookie';
import type { SessionDocument } from '../stored/document';
import type { Settings } from '../calls/options';
import { theirExpiry } from '../stored/adopted';
import { ensureTtlIndex, startSweeper } from './ttl';
import { REVOKED_GRACE_SECONDS } from './revoked';

/**
 * When a session dies: the first of three clocks, each kept in a top-level date field of
 * its own so that a TTL index can remove what it ends.
 * - cookie: `Expires`, the cookie's expiry, written with the cookie (always on);
 * - idle: `LastAccessed` + `TimeToLive`, as in 1.x;
 * - absolute: `Created` + `MaxLifetime`, whatever the session's activity.
 * Reads apply all three themselves, so expiry is exact whatever the TTL monitor or the
 * sweeper has done yet. Documents of 1.x and 2.0 hold their cookie's expiry only inside
 * `Data`; reads and sweeps look there too.
 * With `Adopt`, the cookie's clock is connect-mongo's `expires` instead, which their processes
 * renew too: the cookie's expiry, or their fallback where it has none (see adopted). 1.x
 * cookies inside `Data` are then no clock: a cookie connect-mongo's touch renewed is stale there.
 */

const debug = createDebug('express-session-mongodb:expiry');

type ClockField = 'Expires' | 'expires' | 'LastAccessed' | 'Created' | 'Revoked';
interface Clock {
  field: ClockField;
  seconds: number;
}

const LEGACY_COOKIE_PATHS = ['Data.cookie.expires', 'Data.cookie._expires'];
/** MongoDB's TTL monitor period; the sweeper runs no less often. */
const MAX_SWEEP_MS = 60_000;

export type ExpiryMode = 'index' | 'sweeper';

export interface Expiry {
  readonly mode: ExpiryMode;
  /** When the first clock ends the session, in ms since the epoch (Infinity: never). */
  deadline(doc: SessionDocument): number;
  isLive(doc: SessionDocument, now: number): boolean;
  /** When `MaxLifetime` ends the session (Infinity: never; NaN: its creation is not known). */
  absolute(doc: Pick<SessionDocument, 'Created'>): number;
  /** When a session ends once a write stored these clocks, given its `absolute` end. */
  deadlineAfter(written: Partial<SessionDocument>, absolute: number): number;
  /** Matches the sessions still alive at `now`; a missing field never ends one. */
  liveFilter(now: number): Filter<SessionDocument>;
  /** `$set` and `$unset` of the clock fields a write of `cookie` stores; null `lastAccessed`: not an access. */
  stamp(cookie: unknown, lastAccessed: Date | null): { set: Partial<SessionDocument>; unset: { Expires?: '' } };
  /** The field of the cookie's clock: `Expires`, or `expires` with Adopt. */
  readonly cookieField: 'Expires' | 'expires';
  stop(): void;
}

function clocksOf(settings: Settings): Clock[] {
  const clocks: Clock[] = [{ field: settings.adopt ? 'expires' : 'Expires', seconds: 0 }];
  if (settings.timeToLive > 0) clocks.push({ field: 'LastAccessed', seconds: settings.timeToLive });
  if (settings.maxLifetime > 0) clocks.push({ field: 'Created', seconds: settings.maxLifetime });
  // Sessions FlagUserSessions revoked, which may have no other clock at all (see user-sessions).
  if (settings.userKey) clocks.push({ field: 'Revoked', seconds: REVOKED_GRACE_SECONDS });
  return clocks;
}

/** A date that can end a session: where it sits, and how long after it the session ends. */
interface Dated {
  path: string;
  /** `path` split once: reads run on every get. */
  names: string[];
  ms: number;
}

/** The clocks' fields, then the cookie inside 1.x and 2.0 documents. */
function datedPaths(clocks: Clock[], legacy: boolean): Dated[] {
  const paths: Array<[string, number]> = [
    ...clocks.map((clock): [string, number] => [clock.field, clock.seconds]),
    // With Adopt: `Expires` of documents written before it, which its writes remove.
    ...(legacy ? LEGACY_COOKIE_PATHS : ['Expires']).map((path): [string, number] => [path, 0]),
  ];
  return paths.map(([path, seconds]) => ({ path, names: path.split('.'), ms: seconds * 1000 }));
}

function deadline(dated: Dated[], doc: SessionDocument): number {
  let first = Infinity;
  for (const { names, ms } of dated) {
    let value: unknown = doc;
    for (const name of names) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
    if (value instanceof Date) first = Math.min(first, value.getTime() + ms);
  }
  return first;
}

/** A date at each path that ends the session by `now`. */
function endedBy(dated: Dated[], now: number): Array<[string, { $lte: Date }]> {
  return dated.map(({ path, ms }) => [path, { $lte: new Date(now - ms) }]);
}

function liveFilter(dated: Dated[], now: number): Filter<SessionDocument> {
  return Object.fromEntries(endedBy(dated, now).map(([path, ended]) => [path, { $not: ended }])) as Filter<SessionDocument>;
}

function expiredFilter(dated: Dated[], now: number): Filter<SessionDocument> {
  return { $or: endedBy(dated, now).map(([path, ended]) => ({ [path]: ended })) } as Filter<SessionDocument>;
}

/** Where a server keeps TTL indexes, 1.x and 2.0 documents still need a sweep of their own. */
function legacyFilter(now: number): Filter<SessionDocument> {
  return {
    Expires: { $exists: false },
    $or: LEGACY_COOKIE_PATHS.map((path) => ({ [path]: { $lte: new Date(now) } })),
  } as Filter<SessionDocument>;
}

const LEGACY_PROBE = {
  Expires: { $exists: false },
  $or: LEGACY_COOKIE_PATHS.map((path) => ({ [path]: { $type: 'date' } })),
} as Filter<SessionDocument>;

function sweepPeriod(clocks: Clock[]): number {
  const shortest = Math.min(...clocks.map((clock) => clock.seconds || Infinity));
  return Math.min(Math.max(shortest * 1000, 1000), MAX_SWEEP_MS);
}

/** Every index is tried: a server may keep some TTL indexes and refuse others. */
async function indexAll(db: Db, sessions: Collection<SessionDocument>, clocks: Clock[]): Promise<boolean> {
  let all = true;
  for (const clock of clocks) all = (await ensureTtlIndex(db, sessions, clock.field, clock.seconds)) && all;
  return all;
}

/** Makes the TTL indexes (or starts the sweeper) for the clocks `settings` turns on. */
export async function manageExpiry(db: Db, sessions: Collection<SessionDocument>, settings: Settings): Promise<Expiry> {
  const clocks = clocksOf(settings);
  const adopt = settings.adopt;
  const cookieField = adopt ? 'expires' : 'Expires';
  const dated = datedPaths(clocks, !adopt);
  const period = sweepPeriod(clocks);
  let mode: ExpiryMode = 'index';
  let stop = (): void => {};
  if (!(await indexAll(db, sessions, clocks))) {
    mode = 'sweeper';
    debug('sweeping expired sessions every %d ms', period);
    stop = startSweeper(sessions, (now) => expiredFilter(dated, now), period);
  } else if (!adopt && (await sessions.findOne(LEGACY_PROBE, { projection: { _id: 1 } })) !== null) {
    debug('documents of 1.x or 2.0 found: sweeping their expired cookies every %d ms', period);
    stop = startSweeper(sessions, legacyFilter, period);
  }

  return {
    mode,
    deadline: (doc) => deadline(dated, doc),
    isLive: (doc, now) => deadline(dated, doc) > now,
    absolute(doc) {
      if (settings.maxLifetime === 0) return Infinity;
      return doc.Created instanceof Date ? doc.Created.getTime() + settings.maxLifetime * 1000 : NaN;
    },
    deadlineAfter(written, absolute) {
      // Clocks not written keep a value this process does not know, unless they are off.
      const idle =
        settings.timeToLive === 0 ? Infinity : written.LastAccessed ? written.LastAccessed.getTime() + settings.timeToLive * 1000 : NaN;
      return Math.min(written[cookieField]?.getTime() ?? Infinity, idle, absolute);
    },
    liveFilter: (now) => liveFilter(dated, now),
    stamp(cookie, lastAccessed) {
      // Their fallback where the cookie has none; `Expires` of writes before Adopt goes.
      if (adopt)
        return {
          set: { expires: theirExpiry(adopt, cookie, Date.now()), ...(lastAccessed ? { LastAccessed: lastAccessed } : {}) },
          unset: { Expires: '' },
        };
      const expires = cookieExpiry(cookie);
      const set: Partial<SessionDocument> = expires ? { Expires: expires } : {};
      if (lastAccessed) set.LastAccessed = lastAccessed;
      return { set, unset: expires ? {} : { Expires: '' } };
    },
    stop,
    cookieField,
  };
}
