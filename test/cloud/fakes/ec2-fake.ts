// An in-memory EC2 network ACL API with the rules that bite: rule numbers 1..32766, unique per direction; 20 rules
// (configurable, 40 at most) per direction and IP family counting the default deny rule; exactly one of CidrBlock and
// Ipv6CidrBlock, in CIDR form; replace and delete need an existing entry; unknown ACLs do not exist. Throttling and
// other errors can be injected per call.
import {
  CreateNetworkAclEntryCommand,
  type CreateNetworkAclEntryCommandInput,
  DeleteNetworkAclEntryCommand,
  type DeleteNetworkAclEntryCommandInput,
  DescribeNetworkAclsCommand,
  type DescribeNetworkAclsCommandInput,
  EC2Client,
  EC2ServiceException,
  type NetworkAclEntry,
  ReplaceNetworkAclEntryCommand,
  type ReplaceNetworkAclEntryCommandInput,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { parseCidr } from "../../../cloud/address.js";

type Operation = "DescribeNetworkAcls" | "CreateNetworkAclEntry" | "ReplaceNetworkAclEntry" | "DeleteNetworkAclEntry";

/** Builds an EC2 error as the SDK surfaces it (name = EC2 error code). */
export function ec2Error(code: string, message = code): Error {
  return new EC2ServiceException({ name: code, $fault: "client", message, $metadata: { httpStatusCode: 400 } });
}

/** The entries a new ACL gets: allow everything (rules 100 / 101) and the default deny rules. */
export function defaultAclEntries(): NetworkAclEntry[] {
  const entries: NetworkAclEntry[] = [];
  for (const egress of [false, true]) {
    entries.push(
      { RuleNumber: 100, Egress: egress, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0" },
      { RuleNumber: 101, Egress: egress, Protocol: "-1", RuleAction: "allow", Ipv6CidrBlock: "::/0" },
      { RuleNumber: 32767, Egress: egress, Protocol: "-1", RuleAction: "deny", CidrBlock: "0.0.0.0/0" },
      { RuleNumber: 32767, Egress: egress, Protocol: "-1", RuleAction: "deny", Ipv6CidrBlock: "::/0" },
    );
  }
  return entries;
}

/** An EC2Client whose network ACL calls reach in-memory ACLs. */
export class FakeEc2 {
  readonly client = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
  readonly acls = new Map<string, NetworkAclEntry[]>();
  readonly calls: { operation: Operation; input: unknown; ok: boolean }[] = [];
  private readonly holds: { operation: Operation; reached: () => void; gate: Promise<void> }[] = [];
  private readonly injected: { operation: Operation; code: string; afterApplying?: boolean }[] = [];

  /** @param ruleLimit rules per direction and IP family per ACL (the account quota). */
  /** @param mockTarget this fake's own client (default) or the EC2Client class, for code that builds its own clients. */
  constructor(
    readonly ruleLimit = 20,
    mockTarget: EC2Client | typeof EC2Client = this.client,
  ) {
    const mock = mockClient(mockTarget);
    mock
      .on(DescribeNetworkAclsCommand)
      .callsFake(async (input: DescribeNetworkAclsCommandInput) =>
        this.record("DescribeNetworkAcls", input, () => this.describe(input)),
      );
    mock
      .on(CreateNetworkAclEntryCommand)
      .callsFake(async (input: CreateNetworkAclEntryCommandInput) =>
        this.record("CreateNetworkAclEntry", input, () => this.write(input, "create")),
      );
    mock
      .on(ReplaceNetworkAclEntryCommand)
      .callsFake(async (input: ReplaceNetworkAclEntryCommandInput) =>
        this.record("ReplaceNetworkAclEntry", input, () => this.write(input, "replace")),
      );
    mock
      .on(DeleteNetworkAclEntryCommand)
      .callsFake(async (input: DeleteNetworkAclEntryCommandInput) =>
        this.record("DeleteNetworkAclEntry", input, () => this.remove(input)),
      );
  }

  /** Creates an ACL with the given entries (default: allow all + default deny). */
  createAcl(id: string, entries: NetworkAclEntry[] = defaultAclEntries()): void {
    this.acls.set(
      id,
      entries.map((entry) => ({ ...entry })),
    );
  }

  /**
   * Makes the next call of `operation` take effect and then fail with the given code, as when the response is lost
   * (the SDK or the caller retries a call that went through).
   */
  failAfterApplyingNext(operation: Operation, code: string): void {
    this.injected.push({ operation, code, afterApplying: true });
  }

  /** Makes the next `times` calls of `operation` fail with the given EC2 error code. */
  failNext(operation: Operation, code: string, times = 1): void {
    for (let i = 0; i < times; i++) this.injected.push({ operation, code });
  }

  /** The ingress deny entries of an ACL in a rule range, as `ruleNumber cidr` lines sorted by number. */
  denyEntries(id: string, first = 1, last = 32766): string[] {
    return (this.acls.get(id) ?? [])
      .filter((e) => !e.Egress && e.RuleAction === "deny" && e.RuleNumber! >= first && e.RuleNumber! <= last)
      .sort((a, b) => a.RuleNumber! - b.RuleNumber!)
      .map((e) => `${e.RuleNumber} ${e.CidrBlock ?? e.Ipv6CidrBlock}`);
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

  /** Number of successful write calls. */
  get successfulWrites(): number {
    return this.calls.filter((call) => call.operation !== "DescribeNetworkAcls" && call.ok).length;
  }

  private async record<T>(operation: Operation, input: unknown, run: () => T): Promise<T> {
    await this.held(operation);
    const index = this.injected.findIndex((entry) => entry.operation === operation);
    try {
      if (index >= 0) {
        const { code, afterApplying } = this.injected.splice(index, 1)[0]!;
        if (afterApplying) run();
        throw ec2Error(code, code === "RequestLimitExceeded" ? "Request limit exceeded." : code);
      }
      const result = run();
      this.calls.push({ operation, input, ok: true });
      return result;
    } catch (error) {
      this.calls.push({ operation, input, ok: false });
      throw error;
    }
  }

  private acl(id: string | undefined): NetworkAclEntry[] {
    const entries = id ? this.acls.get(id) : undefined;
    if (!entries) throw ec2Error("InvalidNetworkAclID.NotFound", `The network ACL ID '${id}' does not exist`);
    return entries;
  }

  private describe(input: DescribeNetworkAclsCommandInput) {
    const ids = input.NetworkAclIds ?? [...this.acls.keys()];
    return {
      NetworkAcls: ids.map((id) => ({
        NetworkAclId: id,
        IsDefault: false,
        Entries: this.acl(id).map((entry) => ({ ...entry })),
      })),
    };
  }

  private validate(input: CreateNetworkAclEntryCommandInput): { family: 4 | 6 } {
    const n = input.RuleNumber;
    if (n === undefined || !Number.isInteger(n) || n < 1 || n > 32766) {
      throw ec2Error("InvalidParameterValue", `Invalid value '${n}' for ruleNumber. Must be between 1 and 32766`);
    }
    if (input.Egress === undefined) throw ec2Error("MissingParameter", "The request must contain the parameter egress");
    if (!input.Protocol) throw ec2Error("MissingParameter", "The request must contain the parameter protocol");
    if (input.RuleAction !== "allow" && input.RuleAction !== "deny") {
      throw ec2Error("InvalidParameterValue", `Invalid value '${input.RuleAction}' for ruleAction`);
    }
    if ((input.CidrBlock === undefined) === (input.Ipv6CidrBlock === undefined)) {
      throw ec2Error("InvalidParameterCombination", "Exactly one of cidrBlock and ipv6CidrBlock must be given");
    }
    const family = input.CidrBlock !== undefined ? 4 : 6;
    const cidr = parseCidr(input.CidrBlock ?? input.Ipv6CidrBlock ?? "");
    if (!cidr || cidr.family !== family) {
      throw ec2Error("InvalidParameterValue", `Invalid CIDR block '${input.CidrBlock ?? input.Ipv6CidrBlock}'`);
    }
    return { family };
  }

  private count(entries: NetworkAclEntry[], egress: boolean, family: 4 | 6): number {
    return entries.filter(
      (e) => Boolean(e.Egress) === egress && (family === 4 ? e.CidrBlock : e.Ipv6CidrBlock) !== undefined,
    ).length;
  }

  private write(input: CreateNetworkAclEntryCommandInput, kind: "create" | "replace") {
    const entries = this.acl(input.NetworkAclId);
    const { family } = this.validate(input);
    const egress = Boolean(input.Egress);
    const index = entries.findIndex((e) => e.RuleNumber === input.RuleNumber && Boolean(e.Egress) === egress);
    if (kind === "create" && index >= 0) {
      throw ec2Error(
        "NetworkAclEntryAlreadyExists",
        `The network acl entry identified by ${input.RuleNumber} already exists.`,
      );
    }
    if (kind === "replace" && index < 0) {
      throw ec2Error(
        "InvalidNetworkAclEntry.NotFound",
        `The network acl entry identified by ${input.RuleNumber} does not exist.`,
      );
    }
    const remaining = kind === "replace" ? entries.filter((_, i) => i !== index) : entries;
    if (this.count(remaining, egress, family) >= this.ruleLimit) {
      throw ec2Error("NetworkAclEntryLimitExceeded", `The maximum number of network ACL entries has been reached.`);
    }
    const entry: NetworkAclEntry = {
      RuleNumber: input.RuleNumber,
      Egress: egress,
      Protocol: input.Protocol,
      RuleAction: input.RuleAction,
      ...(input.CidrBlock !== undefined ? { CidrBlock: input.CidrBlock } : { Ipv6CidrBlock: input.Ipv6CidrBlock }),
    };
    if (kind === "replace") entries[index] = entry;
    else entries.push(entry);
    return {};
  }

  private remove(input: DeleteNetworkAclEntryCommandInput) {
    const entries = this.acl(input.NetworkAclId);
    const index = entries.findIndex(
      (e) => e.RuleNumber === input.RuleNumber && Boolean(e.Egress) === Boolean(input.Egress),
    );
    if (index < 0 || input.RuleNumber === 32767) {
      throw ec2Error(
        "InvalidNetworkAclEntry.NotFound",
        `The network acl entry identified by ${input.RuleNumber} does not exist.`,
      );
    }
    entries.splice(index, 1);
    return {};
  }
}
