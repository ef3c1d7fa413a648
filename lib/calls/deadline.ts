/**
 * One call's time budget. Once `OperationTimeoutMS` has run out the caller is told so, and
 * from then on the call must not send anything more: a write that reached the server after
 * that could land over a newer write that another call (or another process) made meanwhile.
 */
export interface Deadline {
  /** Throws once the caller has been told the call timed out: a step not sent yet is dropped. */
  check(): void;
  /** Whether the caller has been told the call timed out (what `check` throws on). */
  timedOut(): boolean;
  /**
   * What a write hands the driver: `maxTimeMS`, the time left, after which MongoDB abandons
   * a write still waiting on the server instead of applying it late. Throws, as `check`,
   * once the caller was told. No `signal`: an abort settles the driver's promise while the
   * command may still be on its way, and the next write of the session could then overtake it.
   */
  writeOptions(): { maxTimeMS?: number };
  /** Called when the caller is told the call timed out. */
  abandon(reason: Error): void;
}

/** A call without a limit (`OperationTimeoutMS: 0`), or a write the store makes of its own accord. */
export const NO_DEADLINE: Deadline = {
  check() {},
  timedOut: () => false,
  writeOptions: () => ({}),
  abandon() {},
};

/** One object per call, its methods on the prototype: every store call makes one. */
class CallDeadline implements Deadline {
  private reason: Error | undefined;

  constructor(private readonly end: number) {}

  check(): void {
    if (this.reason) throw this.reason;
  }

  timedOut(): boolean {
    return this.reason !== undefined;
  }

  writeOptions(): { maxTimeMS?: number } {
    this.check();
    return { maxTimeMS: Math.max(1, Math.ceil(this.end - Date.now())) };
  }

  abandon(err: Error): void {
    this.reason = err;
  }
}

export function deadline(ms: number): Deadline {
  if (ms === 0) return NO_DEADLINE;
  return new CallDeadline(Date.now() + ms);
}
