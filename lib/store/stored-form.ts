import type { SessionData } from 'express-session';
import { theirSession } from '../stored/adopted';
import { readCookie, storedCookie } from '../stored/cookie';
import type { SessionDocument } from '../stored/document';
import { repairRead, sendable } from '../stored/driver-values';
import { readableFields, sealedCookie, writtenFields } from '../stored/encryption';
import { sessionDataOf, storedData } from '../stored/key-filter';
import type { Known } from './known-sessions';
import type { Context } from './context';

/**
 * A session as stored and as handed back: its names (Filter), its cookie in express-session's
 * JSON form, sealed or opened with EncryptionKeys.
 */

export function toSession(ctx: Context, doc: SessionDocument): SessionData {
  repairRead(doc.Data);
  const data = sessionDataOf(doc, ctx.settings.filter);
  if (typeof data !== 'object' || data === null) {
    throw new TypeError('A stored session has no session object in Data');
  }
  readCookie(data as Record<string, unknown>);
  return data as SessionData;
}

/**
 * With `Adopt`: the session in connect-mongo's (or connect-mongodb-session's) fields, where
 * theirs is the one to serve: a document they wrote, or wrote again after this store (see
 * adopted). Undefined: the document is this store's to read. Null: it is theirs alone, sealed
 * by connect-mongo, and does not open.
 */
export async function adoptedSession(ctx: Context, doc: SessionDocument): Promise<SessionData | null | undefined> {
  const adopt = ctx.settings.adopt!;
  const theirs = await theirSession(adopt, doc);
  if (theirs !== undefined) readCookie(theirs as Record<string, unknown>);
  // Sealed by connect-mongo and not opened (another secret, altered): missing, as a sealed Data.
  else if (adopt.codec.sealed && doc.Data === undefined && doc.session != null) return null;
  return theirs as SessionData | undefined;
}

/** A listed document's session ID: connect-mongo's documents hold it in `_id` only. */
export function listedId(doc: SessionDocument): string {
  return typeof doc.SessionID === 'string' ? doc.SessionID : String(doc._id);
}

/** The document with `Data` readable (opened when sealed), or null when it does not open. */
export function opened(ctx: Context, sid: string, doc: SessionDocument): SessionDocument | null {
  const fields = readableFields(ctx.settings.encryption, sid, doc);
  if (fields === doc || fields === null) return fields as SessionDocument | null;
  return { _id: doc._id, SessionID: doc.SessionID, Data: fields.Data, FilterVersion: fields.FilterVersion };
}

/**
 * `Data` as stored, the cookie in its JSON form, and `FilterVersion` saying how its names were
 * written; sealed with `EncryptionKeys`. `plain`: the unsealed `Data`, to explain a failure.
 */
export function stored(ctx: Context, sid: string, session: SessionData) {
  // A session without a cookie (a direct store user's) gets none: `cookie: null` would come back.
  const withCookie = 'cookie' in session ? { ...session, cookie: storedCookie(session.cookie) } : session;
  const plain = storedData(withCookie, ctx.settings.filter, ctx.limits);
  // Made sendable before sealing too: the driver's own bson encodes what is sealed.
  const data = sendable(plain.Data);
  // No copies where sendable changed nothing (drivers 5 to 7): a set's every copy costs.
  const written = writtenFields(ctx.settings.encryption, sid, data === plain.Data ? plain : { ...plain, Data: data });
  return { set: sendable(written.set), unset: written.unset, sealed: written.sealed, plain: plain.Data };
}

/**
 * What a touch stores of the session's renewed cookie: the cookie alone where the stored `Data`
 * is in the form this process writes (under `Data.cookie`, or sealed into `Cookie` beside a
 * `Data` sealed by the first key); else (EncryptionKeys turned on or off or rotated since, or a
 * session this process has not lately read) the whole session, in that form.
 */
export function renewedCookie(ctx: Context, id: string, session: SessionData, known: Known | undefined) {
  const keyring = ctx.settings.encryption;
  const cookie = storedData(storedCookie(session.cookie), ctx.settings.filter, ctx.limits).Data;
  if (!keyring || (!keyring.encrypts && known?.current)) return { set: { 'Data.cookie': cookie }, unset: {} };
  if (known?.current) return { set: { Cookie: sendable(sealedCookie(keyring, id, cookie)) }, unset: {} };
  const { set, unset } = stored(ctx, id, session);
  return { set, unset };
}
