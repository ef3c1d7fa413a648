import type { SessionData } from 'express-session';
import type { Db } from 'mongodb';
import createStore = require('../../lib');
import type Types from '../../types';

export type SessionStore = Types.SessionStore;
export type Options = Types.Options;

/** Creates a store through the 1.x callback form and waits for its callback. */
export function openStore(db: Db, options?: Options): Promise<SessionStore> {
  return new Promise((resolve, reject) => {
    createStore(db, (err, store) => (err ? reject(err) : resolve(store!)), options);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A session as express-session hands it over. */
export function sessionWith<T extends object>(fields: T): SessionData & T {
  return { cookie: { path: '/', httpOnly: true, originalMaxAge: null }, ...fields } as SessionData & T;
}

/** What express-session does to start a session: it assigns `store.generate` and calls it. */
export function madeHere(store: SessionStore, sid: string): void {
  const generating = store as unknown as { generate: (req: { sessionID?: string }) => void };
  generating.generate = (req) => {
    req.sessionID = sid;
  };
  generating.generate({});
}
