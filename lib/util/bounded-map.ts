/**
 * A Map of session IDs that forgets the entry set longest ago once it holds `limit`:
 * per-session memory that cannot grow with traffic. Forgetting only costs a write.
 *
 * The order of sets is a linked list beside the Map, not the Map's own insertion order: moving
 * a key to the end of a Map takes a delete and a set, a delete leaves a hole in V8's table, and
 * every few dozen sets the table is copied anew, in the old generation where a long-lived Map
 * lives. That, with the write order's Map, was most of what a call left for the collector of
 * the whole heap (bench/promotion.ts, issue 21). Now the Map changes only when a key comes or
 * goes.
 */
export interface BoundedMap<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
}

interface Slot<V> {
  readonly key: string;
  value: V;
  older: Slot<V> | null;
  newer: Slot<V> | null;
}

export function boundedMap<V>(limit: number): BoundedMap<V> {
  const entries = new Map<string, Slot<V>>();
  let oldest: Slot<V> | null = null;
  let newest: Slot<V> | null = null;
  const unlink = (slot: Slot<V>): void => {
    if (slot.older) slot.older.newer = slot.newer;
    else oldest = slot.newer;
    if (slot.newer) slot.newer.older = slot.older;
    else newest = slot.older;
    slot.older = slot.newer = null;
  };
  const append = (slot: Slot<V>): void => {
    slot.older = newest;
    if (newest) newest.newer = slot;
    else oldest = slot;
    newest = slot;
  };
  return {
    get: (key) => entries.get(key)?.value,
    set(key, value) {
      const slot = entries.get(key);
      if (slot) {
        slot.value = value;
        if (slot !== newest) {
          unlink(slot);
          append(slot);
        }
        return;
      }
      const added: Slot<V> = { key, value, older: null, newer: null };
      entries.set(key, added);
      append(added);
      if (entries.size > limit) {
        const gone = oldest!;
        unlink(gone);
        entries.delete(gone.key);
      }
    },
    delete(key) {
      const slot = entries.get(key);
      if (!slot) return;
      unlink(slot);
      entries.delete(key);
    },
  };
}
