/*
 * mocha prints a test's title only once the test ends, so a test that runs for half a minute
 * looks hung. A long step runs under withProgress, which says every few seconds what it waits on.
 */

const EVERY_MS = 5_000;

/**
 * Waits for `work`, printing `... <what>: <status()> (N s)` every 5 s until it settles.
 * `status` reports how far it got (e.g. "612 of 2,000 writes done"); without it, only the time.
 */
export async function withProgress<T>(what: string, work: Promise<T> | (() => Promise<T>), status?: () => string): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`      ... ${what}${status ? `: ${status()}` : ''} (${seconds} s)`);
  }, EVERY_MS);
  try {
    return await (typeof work === 'function' ? work() : work);
  } finally {
    clearInterval(timer);
  }
}
