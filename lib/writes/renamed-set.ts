import { randomBytes } from 'node:crypto';
import type { UpdateFilter } from 'mongodb';
import type { SessionDocument } from '../stored/document';

/**
 * FerretDB v1 compares each `$set` value with the stored one ignoring property names and skips
 * it when the values match in order, while answering that it modified the document: a session
 * whose change is only a rename (`pendingMfa: true` becoming `mfaVerified: true`) was
 * acknowledged and never stored, though the write's other fields were.
 *
 * On such a server the new `Data` goes out inside a wrapper, in the same single update: `$set`
 * stores `{ n: <nonce>, s: <session> }` in `Data`, which no stored value matches (none holds
 * that nonce), and `$rename` then moves `Data.s` to `Data`, replacing the wrapper with
 * the session. FerretDB v1 applies an update's fields in the order of their paths (`Data`
 * before `Data.s`) and checks `$rename` against no other operator; MongoDB would refuse the
 * pair, and does not need it. One update: the document is always one write's, whoever reads it
 * (a 1.x process included) never sees the wrapper, and it costs no round trip more.
 */

/** The wrapper's fields: short, since they are sent on every write. */
const NONCE = 'n';
const SESSION = 's';

/**
 * Nonces unique to this process (96 random bits) and to each write in it (a counter). A
 * string, not a BSON ObjectId: a class of this package's driver could be refused by the
 * serializer of another driver copy the application's `Db` comes from.
 */
const PROCESS_NONCE = randomBytes(12).toString('base64');
let writes = 0;

/** `update`, which sets `Data`, rewritten in place so that FerretDB v1 cannot skip `Data`. */
export function unskippable(update: UpdateFilter<SessionDocument>): UpdateFilter<SessionDocument> {
  const fields = update.$set as Partial<SessionDocument>;
  // The nonce first: FerretDB compares in order, so a stored value differs at the first field.
  fields.Data = { [NONCE]: `${PROCESS_NONCE}${writes++}`, [SESSION]: fields.Data };
  update.$rename = { [`Data.${SESSION}`]: 'Data' };
  return update;
}
