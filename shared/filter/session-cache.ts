// A small bounded cache with expiry, for multi-line sessions (F-MLFID): at most `maxCount` sessions, each kept
// `maxAge` seconds after it was last stored. When full, the oldest entries go first (FIFO), like fail2ban's cache, so an
// attacker opening endless connections cannot grow memory.

/** Bounded FIFO cache with per-entry expiry; the clock is passed in (seconds). */
export class SessionCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

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
      for (const [oldKey, entry] of this.entries) {
        this.entries.delete(oldKey);
        if (entry.expires > now && this.entries.size < this.maxCount) break;
      }
    }
    this.entries.delete(key);
    this.entries.set(key, { value, expires: now + this.maxAge });
  }

  /** Forgets `key`. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Number of entries held (expired ones included until touched). */
  get size(): number {
    return this.entries.size;
  }
}
