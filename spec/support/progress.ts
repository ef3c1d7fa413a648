/*
 * mocha prints a test's title only once the test ends, so a test that runs for half a minute
 * looks hung. Its long part runs under withProgress (or between progressLines and done), which
 * says every few seconds what it waits on.
 */

const EVERY_MS = 5_000;

/**
 * Prints `... <what>: <status()> (N s)` every 5 s until `done()`: for a long part made of
 * several steps, where `status` says which step runs and how far it got.
 */
export function progressLines(what: string, status?: () => string): { done(): void } {
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`      ... ${what}${status ? `: ${status()}` : ''} (${seconds} s)`);
  }, EVERY_MS);
  return { done: () => clearInterval(timer) };
}

/** Waits for `work`, printing progress lines (see progressLines) until it settles. */
export async function withProgress<T>(what: string, work: Promise<T> | (() => Promise<T>), status?: () => string): Promise<T> {
  const lines = progressLines(what, status);
  try {
    return await (typeof work === 'function' ? work() : work);
  } finally {
    lines.done();
  }
}
