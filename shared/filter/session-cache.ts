// A small bounded cache with expiry, for multi-line sessions (F-MLFID): at most `maxCount` sessions, each kept
// `maxAge` seconds after it was last stored. When full, the oldest entries go first (FIFO), like fail2ban's cache, so an
// attacker opening endless connections cannot grow memory.

interface Entry<V> {
  value: V;
  expires: number;
  /** When it was stored: its place in the queue of stores. */
  stored: number;
}

/** Bounded FIFO cache with per-entry expiry; the clock is passed in (seconds). */
export class SessionCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  /**
   * The keys in the order they were stored, with the store's number: the oldest entry is found here rather than by
   * iterating the map, which after many deletions at its front skips their empty slots on every eviction. A key
   * stored again, or deleted, leaves a stale element, skipped when met; the queue is compacted when half of it is,
   * or when it is far longer than the entries.
   */
  private queueKeys: string[] = [];
  private queueStores: number[] = [];
  private queueHead = 0;
  private stores = 0;

  constructor(
    private readonly maxCount = 100,
    private readonly maxAge = 300,
  ) {}

  /** The value stored for `key` unless it expired at `now`. */
  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Stores `value`; when full, drops expired and then the oldest entries until one slot is free. */
  set(key: string, value: V, now: number): void {
    if (this.entries.size >= this.maxCount) {
      while (this.queueHead < this.queueKeys.length) {
        const oldKey = this.queueKeys[this.queueHead]!;
        const stored = this.queueStores[this.queueHead]!;
        this.queueHead++;
        const entry = this.entries.get(oldKey);
        // stale: stored again later, or deleted
        if (!entry || entry.stored !== stored) continue;
        this.entries.delete(oldKey);
        if (entry.expires > now && this.entries.size < this.maxCount) break;
      }
    }
    this.entries.delete(key);
    const stored = ++this.stores;
    this.entries.set(key, { value, expires: now + this.maxAge, stored });
    this.queueKeys.push(key);
    this.queueStores.push(stored);
    // consumed or stale elements are half of the queue, or it holds far more than the entries: compacted (amortized
    // over at least maxCount stores)
    const queued = this.queueKeys.length;
    if ((this.queueHead > 64 && this.queueHead * 2 > queued) || queued - this.queueHead > 2 * this.maxCount + 64) {
      this.compact();
    }
  }

  /** Forgets `key`. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Number of entries held (expired ones included until touched). */
  get size(): number {
    return this.entries.size;
  }

  /** Drops the queue's consumed and stale elements. */
  private compact(): void {
    const keys: string[] = [];
    const stores: number[] = [];
    for (let i = this.queueHead; i < this.queueKeys.length; i++) {
      const key = this.queueKeys[i]!;
      const stored = this.queueStores[i]!;
      if (this.entries.get(key)?.stored !== stored) continue;
      keys.push(key);
      stores.push(stored);
    }
    this.queueKeys = keys;
    this.queueStores = stores;
    this.queueHead = 0;
  }
}
