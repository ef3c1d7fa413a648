/*
 * ESM_LOOKUP=either (the matrix sets it) runs every test with the lookup MongoDB gets, one
 * `$or` filter for 2.x and 1.x documents (see lib/writes/layout.ts): FerretDB v1, which the tests run
 * on, gets the two-step lookup, so both ways of finding a session run the whole suite.
 */
import type { ForcedLookup } from '../../lib/calls/options';

export function forcedLookup(): ForcedLookup | undefined {
  const mode = process.env.ESM_LOOKUP;
  return mode === 'either' || mode === 'two-step' ? mode : undefined;
}

const forced = forcedLookup();
if (forced) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const options = require('../../lib/calls/options') as typeof import('../../lib/calls/options');
  const read = options.readOptions;
  options.readOptions = (input) => ({ ...read(input), lookup: forced });
  console.log(`  lookups: ${forced} (ESM_LOOKUP=${forced})`);
}

/** The lookup stores in this run use: forced, or the server's own (FerretDB v1: two-step). */
export function lookupInUse(ferretdb: boolean): ForcedLookup {
  return forced ?? (ferretdb ? 'two-step' : 'either');
}

/** The command a new session's first save sends: an insert with two-step lookups, else an upsert. */
export function firstWrite(ferretdb: boolean): string {
  return lookupInUse(ferretdb) === 'two-step' ? 'insert' : 'update';
}
