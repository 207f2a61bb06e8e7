import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { type BanAlert, formatBanMessage, sanitizeLine, snsSubject } from "../../../cloud/alerts/ban-alert.js";
import { formatDigest, planAlertMessages, SNS_BODY_BUDGET } from "../../../cloud/alerts/ban-digest.js";
import { SnsNotifier } from "../../../cloud/alerts/sns-notifier.js";
import { FakeSns } from "../fakes/sns-fake.js";

const alert = (overrides: Partial<BanAlert> = {}): BanAlert => ({
  jail: "sshd",
  ip: "192.0.2.7",
  failures: 5,
  firstFailure: 1_700_000_000,
  lastFailure: 1_700_000_040,
  bannedAt: 1_700_000_040,
  until: 1_700_000_640,
  matches: ["Nov 14 22:13:20 host sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2"],
  ...overrides,
});

describe("ban message", () => {
  it("carries what mail-whois-lines carries: jail, address, failures, first/last failure, lines, ban end", () => {
    const message = formatBanMessage(alert({ enforcedIn: ["waf"], pendingIn: ["nacl"] }), "prod");
    expect(message.subject).toBe("[cloudjail] sshd: banned 192.0.2.7 (prod)");
    expect(message.body).toContain("banned by cloudjail (prod) after 5 attempts against sshd");
    expect(message.body).toContain("First failure: 2023-11-14T22:13:20Z");
    expect(message.body).toContain("Last failure:  2023-11-14T22:14:00Z");
    expect(message.body).toContain("Ban ends:      2023-11-14T22:24:00Z");
    expect(message.body).toContain("Enforced in:   waf");
    expect(message.body).toContain("Pending in:    nacl");
    expect(message.body).toContain(
      "  Nov 14 22:13:20 host sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2",
    );
    expect(message.body).toContain("cloudjail cloud unban 192.0.2.7 --jail sshd");
  });

  it("says a permanent ban never ends", () => {
    expect(formatBanMessage(alert({ until: null }), "prod").body).toContain("Ban ends:      never (permanent ban)");
  });

  it("bounds the attacker-controlled lines: count, length and control characters", () => {
    const matches = Array.from({ length: 30 }, (_, i) => `line ${i}\r\nSubject: forged\u001b[2J${"x".repeat(900)}`);
    const body = formatBanMessage(alert({ matches }), "prod", { maxLines: 3, maxLineLength: 100 }).body;
    expect(body).toContain("(last 3, 27 more not shown)");
    expect(body).not.toContain("line 26");
    expect(body).toContain("line 29\\u000d\\nSubject: forged\\u001b[2J");
    expect(body).not.toMatch(/\r|\u001b/);
    expect(body.split("\n").filter((l) => l.startsWith("  line"))).toHaveLength(3);
    expect(body).toContain("more characters)");
  });

  it("keeps subjects valid for SNS: printable ASCII, under 100 characters", () => {
    const subject = snsSubject(`[cloudjail] ${"jail-ü\n".repeat(30)}`);
    expect(subject.length).toBe(99);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(snsSubject("x".repeat(99))).toBe("x".repeat(99));
    expect(snsSubject("x".repeat(100))).toHaveLength(99);
    expect(sanitizeLine("a\tb")).toBe("a\\tb");
  });

  it.each([
    ["right-to-left override", "\u202e", "\\u202e"],
    ["left-to-right isolate", "\u2066", "\\u2066"],
    ["pop directional isolate", "\u2069", "\\u2069"],
    ["right-to-left mark", "\u200f", "\\u200f"],
    ["Arabic letter mark", "\u061c", "\\u061c"],
    ["zero-width space", "\u200b", "\\u200b"],
    ["zero-width joiner", "\u200d", "\\u200d"],
    ["word joiner", "\u2060", "\\u2060"],
    ["byte order mark", "\ufeff", "\\ufeff"],
    ["soft hyphen", "\u00ad", "\\u00ad"],
  ])("makes a %s in a matched line visible", (_, hidden, shown) => {
    const line = `Failed password for admin${hidden}1 from 192.0.2.7`;
    expect(sanitizeLine(line)).toBe(`Failed password for admin${shown}1 from 192.0.2.7`);
  });
});

describe("digest", () => {
  it("turns a burst within one minute into one digest, single bans into plain alerts", () => {
    const burst = Array.from({ length: 50 }, (_, i) =>
      alert({ ip: `192.0.2.${i}`, bannedAt: 1_700_000_040 + (i % 10) }),
    );
    const later = alert({ ip: "198.51.100.1", bannedAt: 1_700_000_200 });
    const messages = planAlertMessages([...burst, later], "prod");
    expect(messages).toHaveLength(2);
    expect(messages[0]!.subject).toBe("[cloudjail] 50 bans in sshd (prod)");
    expect(messages[0]!.body).toContain("banned 50 addresses between 2023-11-14T22:14:00Z and 2023-11-14T22:14:09Z");
    expect(messages[0]!.body.match(/^---$/gm)).toHaveLength(50);
    expect(messages[1]!.subject).toBe("[cloudjail] sshd: banned 198.51.100.1 (prod)");
  });

  it("stays within the SNS size limit, listing every address even when details do not fit", () => {
    const big = Array.from({ length: 400 }, (_, i) =>
      alert({ ip: `10.0.${i >> 8}.${i & 255}`, matches: Array.from({ length: 10 }, () => "y".repeat(500)) }),
    );
    const digest = formatDigest(big, "prod");
    expect(Buffer.byteLength(digest.body)).toBeLessThanOrEqual(SNS_BODY_BUDGET + 200);
    expect(digest.body).toMatch(/\d+ more bans not detailed: message size limit/);
    expect(digest.body).toContain("10.0.1.143");
  });

  it("keeps a burst of 10,000 bans (a full WAF IP set) in one message SNS takes", async () => {
    const burst = Array.from({ length: 10_000 }, (_, i) =>
      alert({ ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, bannedAt: 1_699_999_980 + (i % 50) }),
    );
    const messages = planAlertMessages(burst, "prod");
    expect(messages).toHaveLength(1);
    const body = messages[0]!.body;
    // the addresses that fit, then how many more and where to see them
    expect(body).toContain("10.0.0.0 ");
    const listed = body.split("\n").filter((line) => /^ {2}sshd +10\./.test(line)).length;
    expect(listed).toBeGreaterThan(2000);
    expect(body).toContain(
      `... and ${10_000 - listed} more (message size limit: \`cloudjail cloud banned\` lists them all)`,
    );
    const sns = new FakeSns();
    await new SnsNotifier(sns.client, sns.topicArn).publish(messages[0]!);
    expect(sns.published).toHaveLength(1);
  });
});

describe("SnsNotifier", () => {
  it("publishes subject and body to the topic", async () => {
    const client = new SNSClient({ region: "us-east-1" });
    const mock = mockClient(client);
    mock.on(PublishCommand).resolves({ MessageId: "m-1" });
    await new SnsNotifier(client, "arn:aws:sns:us-east-1:123456789012:alerts").publish({ subject: "s", body: "b" });
    expect(mock.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({
      TopicArn: "arn:aws:sns:us-east-1:123456789012:alerts",
      Subject: "s",
      Message: "b",
    });
  });
});
