import type { Collection, Document } from 'mongodb';

/**
 * What a 1.x process does to the collection, per LEGACY-API.md: documents keyed by
 * `SessionID` with a driver-made ObjectId `_id`, names escaped first-occurrence only.
 * Used to write 1.x data and to play a 1.x process in a fleet being upgraded.
 */

function escapeName(name: string): string {
  return name.replace('-', '*-').replace('.', 'dot-').replace('$', 'dol-').replace('\0', 'nul-');
}

function unescapeName(name: string): string {
  return name.replace('nul-', '\0').replace('dol-', '$').replace('dot-', '.').replace('*-', '-');
}

function rename(value: unknown, how: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => rename(item, how));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) out[how(name)] = rename(item, how);
  return out;
}

export interface V1Options {
  filter?: boolean;
  timeToLive?: number;
}

export async function v1Set(sessions: Collection<Document>, sid: string, session: object, options: V1Options = {}): Promise<void> {
  const fields: Document = { Data: options.filter ? rename(session, escapeName) : session };
  if (options.timeToLive) fields.LastAccessed = new Date();
  await sessions.updateOne({ SessionID: sid }, { $set: fields }, { upsert: true });
}

export async function v1Get(sessions: Collection<Document>, sid: string, options: V1Options = {}): Promise<unknown> {
  const doc = await sessions.findOne({ SessionID: sid });
  if (!doc || doc.Delete === true) return null;
  if (options.timeToLive) await sessions.updateOne({ SessionID: sid }, { $set: { LastAccessed: new Date() } });
  return options.filter ? rename(doc.Data, unescapeName) : doc.Data;
}

export async function v1Destroy(sessions: Collection<Document>, sid: string): Promise<void> {
  await sessions.deleteMany({ SessionID: sid });
}
