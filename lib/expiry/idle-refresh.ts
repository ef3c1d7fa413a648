/**
 * With `TimeToLive`, a `get` counts as access, as in 1.x. express-session follows almost
 * every `get` with a `touch` or a `set`, which write `LastAccessed` anyway; so the get's own
 * refresh waits a moment and is dropped when one of them comes first, and a read-only
 * request writes once instead of twice. It is sent well before the session could expire.
 */

/** Long enough for most requests to end, short beside any TimeToLive worth having. */
const MAX_DELAY_MS = 2_000;

export interface IdleRefreshes {
  /** Restarts the idle clock as of `at`, soon, unless a write of the session comes first; `deadline`: when the session would expire. */
  schedule(sid: string, at: number, deadline: number): void;
  /** True when a refresh was waiting. */
  cancel(sid: string): boolean;
  stop(): void;
}

export function idleRefreshes(timeToLiveSeconds: number, send: (sid: string, at: number) => Promise<unknown>): IdleRefreshes {
  const pending = new Map<string, NodeJS.Timeout>();
  const cancel = (sid: string): boolean => {
    clearTimeout(pending.get(sid));
    return pending.delete(sid);
  };
  return {
    schedule(sid, at, deadline) {
      cancel(sid);
      const delay = Math.min(MAX_DELAY_MS, timeToLiveSeconds * 100, Math.max(0, (deadline - at) / 2));
      const timer = setTimeout(() => {
        pending.delete(sid);
        // A failed refresh costs only its own effect: the next access writes again.
        send(sid, at).catch(() => {});
      }, delay);
      timer.unref();
      pending.set(sid, timer);
    },
    cancel,
    stop() {
      for (const sid of [...pending.keys()]) cancel(sid);
    },
  };
}
