/**
 * A Map of session IDs that forgets an entry once it holds `limit`: per-session memory that
 * cannot grow with traffic. Forgetting only costs a write.
 *
 * Which one goes: the oldest entry not set again since it was added, or since it was last
 * passed over (a second chance, CLOCK's approximation of the entry set longest ago). A set of a
 * key already there changes its value in place and marks it, instead of moving it to the end
 * by a delete and a set: a delete leaves a hole in V8's table, and every few dozen sets the
 * table is copied anew, in the old generation where a long-lived Map lives. That, with the
 * write order's Map, was most of what a set promoted (bench/client-cpu.ts, issue 21), and so
 * most of the collections of the whole heap a busy store brought on.
 */
export interface BoundedMap<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
}

interface Slot<V> {
  value: V;
  /** Set again since added or last passed over: passed over once more before it can go. */
  again: boolean;
}

export function boundedMap<V>(limit: number): BoundedMap<V> {
  const entries = new Map<string, Slot<V>>();
  const forgetOne = (): void => {
    // Ends: each entry passed over loses its mark, so a second pass finds one without it.
    for (const [key, slot] of entries) {
      entries.delete(key);
      if (!slot.again) return;
      slot.again = false;
      entries.set(key, slot);
    }
  };
  return {
    get: (key) => entries.get(key)?.value,
    set(key, value) {
      const slot = entries.get(key);
      if (slot) {
        slot.value = value;
        slot.again = true;
        return;
      }
      // Room first: passed over from the oldest, the new entry would be the first found unmarked.
      if (entries.size >= limit) forgetOne();
      entries.set(key, { value, again: false });
    },
    delete(key) {
      entries.delete(key);
    },
  };
}
