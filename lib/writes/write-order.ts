/**
 * Writes of one session leave this process in the order they were made. A write that
 * outlived `OperationTimeoutMS` is still with the driver (waiting for the server to come
 * back, say) and may reach the server later; without this it could land after a newer
 * write the caller was told had succeeded, and bring older data back.
 */
export type WriteOrder = <T>(sid: unknown, write: () => Promise<T>) => Promise<T>;

export function writeOrder(): WriteOrder {
  const last = new Map<string, Promise<unknown>>();
  return (sid, write) => {
    // Invalid IDs are refused by the write itself.
    if (typeof sid !== 'string') return write();
    const before = last.get(sid);
    const result = before ? before.then(write) : write();
    const release = (): void => {
      if (last.get(sid) === settled) last.delete(sid);
    };
    const settled = result.then(release, release);
    last.set(sid, settled);
    return result;
  };
}
