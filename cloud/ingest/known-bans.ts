// A container's memory of the bans it has seen, so that the failures of an address already banned (an attack goes on
// for a while after its ban, and logs keep arriving) cost no store request at all. It may only ever cause extra work,
// never a missed ban: a ban ends either at its time (the memory keeps that end) or by an admin unban, which first
// bumps the unban epoch in the store; every delivery reads the epoch (one GetItem) and forgets everything when it
// moved. An entry the store would not confirm therefore never outlives the delivery that learns of the unban.

/** The counter an admin unban bumps before it lifts a ban. */
export interface UnbanEpoch {
  /** The current value (a consistent read). */
  read(): Promise<number>;
  /** Adds one (called before the store lifts a ban, so a failed unban only costs a cache refill). */
  bump(): Promise<void>;
}

/** Entries kept at most; beyond, the memory starts over (it only saves requests). */
const MAX_ENTRIES = 100_000;

/** Per-container memory of bans in force, keyed `jail|fid`. */
export class KnownBans {
  private epoch: number | undefined;
  private readonly bans = new Map<string, { time: number; until: number }>();
  /** Epoch reads made (the bench counts them with the store's). */
  epochReads = 0;

  constructor(private readonly unbans: UnbanEpoch) {}

  /** Reads the unban epoch and forgets every ban when it moved; drops bans over at `now`. */
  async refresh(now: number): Promise<void> {
    this.epochReads++;
    const epoch = await this.unbans.read();
    if (epoch !== this.epoch || this.bans.size > MAX_ENTRIES) this.bans.clear();
    this.epoch = epoch;
    for (const [key, ban] of this.bans) if (ban.until <= now) this.bans.delete(key);
  }

  /** True when a failure of `key` at `time` would only meet the known ban (the store would answer "banned"). */
  covers(key: string, time: number): boolean {
    const known = this.bans.get(key);
    return known !== undefined && (time <= known.time || time < known.until);
  }

  /** Remembers a ban of `key` from `time` until `until` (null: permanent). */
  remember(key: string, time: number, until: number | null): void {
    this.bans.set(key, { time, until: until ?? Number.POSITIVE_INFINITY });
  }

  /** Forgets everything (an unban in this container). */
  clear(): void {
    this.bans.clear();
  }
}
