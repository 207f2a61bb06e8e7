// An in-memory WAFv2 that keeps the rules cloudjail relies on: every write needs the current LockToken and hands out
// a new one, addresses must be CIDR blocks of the set's IP version (no /0), a set holds at most 10,000 addresses,
// unknown sets do not exist. Failures (throttling, lock conflicts, a concurrent writer) can be injected per call.
import { randomUUID } from "node:crypto";
import {
  GetIPSetCommand,
  type GetIPSetCommandInput,
  UpdateIPSetCommand,
  type UpdateIPSetCommandInput,
  WAFInvalidParameterException,
  WAFLimitsExceededException,
  WAFNonexistentItemException,
  WAFOptimisticLockException,
  WAFV2Client,
  WAFV2ServiceException,
} from "@aws-sdk/client-wafv2";
import { mockClient } from "aws-sdk-client-mock";
import { parseCidr } from "../../../cloud/address.js";

/** One IP set as WAF stores it. */
export interface FakeIpSet {
  readonly name: string;
  readonly id: string;
  readonly scope: "REGIONAL" | "CLOUDFRONT";
  readonly version: "IPV4" | "IPV6";
  addresses: string[];
  lockToken: string;
  description?: string;
}

type Operation = "GetIPSet" | "UpdateIPSet";

/** Builds a WAFV2 error of the given name (a real SDK exception class when one exists). */
export function wafError(name: string, message = name): Error {
  const options = { message, $metadata: { httpStatusCode: 400 } };
  switch (name) {
    case "WAFOptimisticLockException":
      return new WAFOptimisticLockException(options);
    case "WAFLimitsExceededException":
      return new WAFLimitsExceededException(options);
    case "WAFInvalidParameterException":
      return new WAFInvalidParameterException(options);
    case "WAFNonexistentItemException":
      return new WAFNonexistentItemException(options);
    default:
      return new WAFV2ServiceException({ name, $fault: "client", ...options });
  }
}

/** A WAFV2Client whose calls reach an in-memory WAF. */
export class FakeWaf {
  readonly client = new WAFV2Client({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
  readonly sets = new Map<string, FakeIpSet>();
  /** Every call made, in order, with whether it succeeded. */
  readonly calls: { operation: Operation; input: unknown; ok: boolean }[] = [];
  private readonly holds: { operation: Operation; reached: () => void; gate: Promise<void> }[] = [];
  private readonly injected: { operation: Operation; error: () => Error }[] = [];
  private readonly beforeUpdate: ((set: FakeIpSet) => void)[] = [];

  /** @param mockTarget what to mock: this fake's own client (default) or the WAFV2Client class, for code that builds its own clients. */
  constructor(
    readonly limit = 10_000,
    mockTarget: WAFV2Client | typeof WAFV2Client = this.client,
  ) {
    const mock = mockClient(mockTarget);
    mock
      .on(GetIPSetCommand)
      .callsFake(async (input: GetIPSetCommandInput) => this.record("GetIPSet", input, () => this.get(input)));
    mock
      .on(UpdateIPSetCommand)
      .callsFake(async (input: UpdateIPSetCommandInput) => this.record("UpdateIPSet", input, () => this.update(input)));
  }

  /** Creates a set, as CreateIPSet would. */
  createIpSet(name: string, scope: FakeIpSet["scope"], version: FakeIpSet["version"], addresses: string[] = []) {
    const set: FakeIpSet = { name, id: randomUUID(), scope, version, addresses, lockToken: randomUUID() };
    this.sets.set(set.id, set);
    return set;
  }

  /** Makes the next `times` calls of `operation` fail with the named error. */
  failNext(operation: Operation, errorName: string, times = 1): void {
    for (let i = 0; i < times; i++) this.injected.push({ operation, error: () => wafError(errorName) });
  }

  /** Simulates another writer changing the set between our read and our write, `times` times. */
  concurrentWriterBeforeNextUpdates(times: number, change: (set: FakeIpSet) => void = () => {}): void {
    for (let i = 0; i < times; i++) this.beforeUpdate.push(change);
  }

  /**
   * Holds the next call of `operation` before it takes effect, until `release()`: `reached` resolves when the call
   * arrives. Tests use it to interleave writers deterministically (a slow write, a read that comes late).
   */
  holdNext(operation: Operation): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holds.push({ operation, reached, gate });
    return { reached: arrived, release };
  }

  private async held(operation: Operation): Promise<void> {
    const index = this.holds.findIndex((hold) => hold.operation === operation);
    if (index < 0) return;
    const [hold] = this.holds.splice(index, 1);
    hold!.reached();
    await hold!.gate;
  }

  /** Number of successful UpdateIPSet calls. */
  get successfulWrites(): number {
    return this.calls.filter((call) => call.operation === "UpdateIPSet" && call.ok).length;
  }

  private async record<T>(operation: Operation, input: unknown, run: () => T): Promise<T> {
    await this.held(operation);
    const index = this.injected.findIndex((entry) => entry.operation === operation);
    try {
      if (index >= 0) throw this.injected.splice(index, 1)[0]!.error();
      const result = run();
      this.calls.push({ operation, input, ok: true });
      return result;
    } catch (error) {
      this.calls.push({ operation, input, ok: false });
      throw error;
    }
  }

  private find(input: { Name?: string; Id?: string; Scope?: string }): FakeIpSet {
    const set = input.Id ? this.sets.get(input.Id) : undefined;
    if (!set || set.name !== input.Name || set.scope !== input.Scope) {
      throw wafError(
        "WAFNonexistentItemException",
        "WAF couldn't perform the operation because your resource doesn't exist.",
      );
    }
    return set;
  }

  private get(input: GetIPSetCommandInput) {
    const set = this.find(input);
    return {
      IPSet: {
        Name: set.name,
        Id: set.id,
        ARN: `arn:aws:wafv2:us-east-1:123456789012:${set.scope === "CLOUDFRONT" ? "global" : "regional"}/ipset/${set.name}/${set.id}`,
        IPAddressVersion: set.version,
        Addresses: [...set.addresses],
        ...(set.description ? { Description: set.description } : {}),
      },
      LockToken: set.lockToken,
    };
  }

  private update(input: UpdateIPSetCommandInput) {
    const set = this.find(input);
    const change = this.beforeUpdate.shift();
    if (change) {
      change(set);
      set.lockToken = randomUUID();
    }
    if (!input.LockToken || input.LockToken !== set.lockToken) {
      throw wafError(
        "WAFOptimisticLockException",
        "WAF couldn't save your changes because someone changed the resource after you started to edit it.",
      );
    }
    if (!input.Addresses) throw wafError("WAFInvalidParameterException", "Addresses is required");
    for (const address of input.Addresses) {
      const cidr = parseCidr(address);
      const family = set.version === "IPV4" ? 4 : 6;
      if (!cidr || cidr.family !== family || cidr.prefix === 0) {
        throw wafError(
          "WAFInvalidParameterException",
          `The parameter contains formatting that is not valid: ${address}`,
        );
      }
    }
    if (input.Addresses.length > this.limit) {
      throw wafError("WAFLimitsExceededException", `an IP set holds at most ${this.limit} addresses`);
    }
    set.addresses = [...input.Addresses];
    if (input.Description) set.description = input.Description;
    else delete set.description;
    set.lockToken = randomUUID();
    return { NextLockToken: set.lockToken };
  }
}
