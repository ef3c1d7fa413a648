/**
 * Writes of one session leave this process in the order they were made. A write that
 * outlived `OperationTimeoutMS` is still with the driver (waiting for the server to come
 * back, say) and may reach the server later; without this it could land after a newer
 * write the caller was told had succeeded, and bring older data back.
 */
export type WriteOrder = (<T>(sid: unknown, write: () => Promise<T>) => Promise<T>) & {
  /** Sessions remembered, running or not: bounded (see SWEEP_AT). */
  readonly remembered: () => number;
};

/** A session's last write: `settled` resolves (never rejects) once it has, `running` until then. */
interface Last {
  running: boolean;
  settled: Promise<void>;
}

/** Sessions whose last write has settled are forgotten, all at once, when this many are remembered. */
const SWEEP_AT = 1_000;

/**
 * Why a settled write's entry stays until a sweep, instead of being deleted as it settles: a
 * Map that gains and loses an entry per write reallocates its table each time, and in the old
 * generation, where a long-lived Map lives: 150 bytes promoted per write, so a collection of
 * the whole heap every few thousand writes (bench/promotion.ts, issue 21). Replacing the
 * value of a key already there allocates nothing.
 */
export function writeOrder(sweepAt = SWEEP_AT): WriteOrder {
  const last = new Map<string, Last>();
  let nextSweep = sweepAt;
  const sweep = (): void => {
    for (const [sid, entry] of last) if (!entry.running) last.delete(sid);
    // Many writes running at once: the next sweep waits until as many more are remembered.
    nextSweep = Math.max(sweepAt, 2 * last.size);
  };
  const order = <T>(sid: unknown, write: () => Promise<T>): Promise<T> => {
    // Invalid IDs are refused by the write itself.
    if (typeof sid !== 'string') return write();
    const before = last.get(sid);
    const result = before?.running ? before.settled.then(write) : write();
    const release = (): void => {
      entry.running = false;
    };
    const entry: Last = { running: true, settled: result.then(release, release) };
    if (before === undefined && last.size >= nextSweep) sweep();
    last.set(sid, entry);
    return result;
  };
  return Object.assign(order, { remembered: () => last.size });
}
