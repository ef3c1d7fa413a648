import type { Collection } from 'mongodb';
import type { Settings } from '../calls/options';
import type { Expiry } from '../expiry/expiry';
import type { TouchThrottle } from '../expiry/touch-throttle';
import type { SessionDocument } from '../stored/document';
import type { ServerLimits } from '../stored/bson-limits';
import type { Layout } from '../writes/layout';
import type { WriteFence } from '../writes/write-fence';
import type { WriteOrder } from '../writes/write-order';
import type { GoneSessions } from './gone-sessions';
import type { KnownSessions } from './known-sessions';

/**
 * What every call of a store works with once the store is prepared (setup.ts makes it): the
 * collection, the settings, how sessions are found and written, and what this process
 * remembers of them.
 */
export interface Context {
  settings: Settings;
  sessions: Collection<SessionDocument>;
  layout: Layout;
  expiry: Expiry;
  throttle: TouchThrottle;
  known: KnownSessions;
  gone: GoneSessions;
  /** Writes of one session leave in the order they were made. */
  inOrder: WriteOrder;
  /** What this server cannot store that BSON can (Decimal128 on FerretDB v1). */
  limits: ServerLimits;
  /** Late writes of any process land harmlessly. */
  fence: WriteFence;
}
